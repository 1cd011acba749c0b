import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { dataFieldsInExpression, envVariables, lintConfigText, schemaDeclares } from '../../src/config/lint.js';
import { loadCompiledConfig } from '../../src/config/index.js';

function base(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'lint',
    entities: { team: { key: 'data.teamId' } },
    sources: { app: { auth: { apiKey: { env: 'APP_KEY' } } } },
    events: {
      'a.happened': {
        source: 'app',
        entity: 'team',
        schema: { type: 'object', properties: { teamId: { type: 'string' }, n: { type: 'number' } } },
      },
    },
    connectors: { hook: { http: { url: '{{ env.HOOK_URL }}' } } },
    rules: [{ id: 'r', on: 'a.happened', then: [{ call: 'hook' }] }],
    ...extra,
  };
}

const ENV = { APP_KEY: 'k', HOOK_URL: 'http://x' };

function lint(doc: unknown, env: Record<string, string> = ENV) {
  return lintConfigText(stringify(doc), 'lint.yaml', { env });
}

describe('hunt lint analysis', () => {
  it('is quiet on a clean config', () => {
    expect(lint(base())).toEqual([]);
  });

  it('includes compile errors (unknown references, duplicate ids)', () => {
    const found = lint(
      base({
        rules: [
          { id: 'r', on: 'a.hapened', then: [{ call: 'hook' }] },
          { id: 'r', on: 'a.happened', then: [{ call: 'hook' }] },
        ],
      }),
    );
    expect(found.map((p) => [p.path, p.severity])).toEqual([
      ['rules[0].on', 'error'],
      ['rules[1].id', 'error'],
    ]);
  });

  it('warns about events no rule uses and that change no state', () => {
    const doc = base();
    (doc.events as Record<string, unknown>)['b.idle'] = { source: 'app', entity: 'team' };
    (doc.events as Record<string, unknown>)['c.stateful'] = {
      source: 'app',
      entity: 'team',
      reduce: [{ set: { x: 1 } }],
    };
    expect(lint(doc).map((p) => [p.path, p.message])).toEqual([
      ['events["b.idle"]', expect.stringMatching(/no rule uses "b.idle"/)],
    ]);
  });

  it('warns about native webhook mappings that lead nowhere, with file and line', () => {
    const doc = base({
      sources: {
        app: { auth: { apiKey: { env: 'APP_KEY' } } },
        shop: {
          webhook: {
            preset: 'shopify',
            secretEnv: 'SHOP_SECRET',
            events: { 'orders/create': 'a.happened', 'orders/paid': 'b.idle' },
          },
        },
        git: { webhook: { preset: 'github', secretEnv: 'GIT_SECRET', events: {} } },
      },
    });
    const events = doc.events as Record<string, Record<string, unknown>>;
    events['a.happened']!.source = ['app', 'shop'];
    events['b.idle'] = { source: 'shop', entity: 'team' };
    // Listed as sent by the webhook-only source, but no mapping of it produces the type.
    events['c.never'] = { source: ['shop', 'app'], entity: 'team', reduce: [{ set: { x: 1 } }] };
    const found = lint(doc, { ...ENV, SHOP_SECRET: 's', GIT_SECRET: 'g' });
    expect(found.map((p) => [p.path, p.severity, p.message])).toEqual(
      expect.arrayContaining([
        [
          'sources.shop.webhook.events["orders/paid"]',
          'warning',
          expect.stringMatching(/"orders\/paid" maps to "b.idle", which no rule uses and no reducer handles/),
        ],
        [
          'sources.git.webhook.events',
          'warning',
          expect.stringMatching(/source "git" takes native webhooks but maps no type: every request is ignored/),
        ],
        [
          'events["c.never"].source',
          'warning',
          expect.stringMatching(/lists source "shop", which sends only native webhooks.*can never send it/),
        ],
      ]),
    );
    expect(found.filter((p) => p.path.startsWith('sources.shop.webhook.events["orders/create"]'))).toEqual([]);
    const orphan = found.find((p) => p.path === 'sources.shop.webhook.events["orders/paid"]');
    expect(orphan).toMatchObject({ file: 'lint.yaml', line: expect.any(Number) });
    const text = stringify(doc).split('\n');
    expect(text[(orphan?.line ?? 0) - 1]).toContain('orders/paid');
  });

  it('warns about rules waiting for events nobody sends', () => {
    const doc = base({
      rules: [{ id: 'r', on: 'a.happened', unless: { event: 'b.internal', window: '1m' }, then: [{ call: 'hook' }] }],
    });
    (doc.events as Record<string, unknown>)['b.internal'] = { entity: 'team' };
    expect(lint(doc)).toEqual([
      expect.objectContaining({
        path: 'rules[0]',
        severity: 'warning',
        message: expect.stringMatching(/"b.internal", which no source sends and no rule emits/),
      }),
    ]);
  });

  it('counts the result events of a call and of a started workflow as produced by their rule', () => {
    const doc = base({
      rules: [
        {
          id: 'r',
          on: 'a.happened',
          then: [
            { call: 'hook', result: true },
            { start: { workflow: 'w', taskQueue: 'q', result: { completed: 'w.done', failed: 'w.failed' } } },
          ],
        },
        { id: 'answered', on: 'hook.responded', then: [{ set: { answered: true } }] },
        { id: 'done', on: ['w.done', 'w.failed'], then: [{ set: { done: true } }] },
      ],
    });
    const events = doc.events as Record<string, unknown>;
    for (const type of ['hook.responded', 'w.done', 'w.failed']) events[type] = { entity: 'team' };
    expect(lint(doc)).toEqual([]);
  });

  it('reports an unguarded emit cycle as an error, a guarded one as a warning', async () => {
    const file = 'examples/treasure-hunt/broken/emit-cycle.yaml';
    const found = lintConfigText(await readFile(file, 'utf8'), file, { env: { SCANNER_API_KEY: 'k' } });
    expect(found).toEqual([
      expect.objectContaining({
        path: 'rules[0]',
        line: 14,
        column: 5,
        severity: 'error',
        message: expect.stringMatching(/emit loop .* never stops/),
      }),
    ]);
    const guarded = base({
      rules: [
        {
          id: 'ping',
          on: 'a.happened',
          if: 'data.n < 3',
          then: [{ emit: { type: 'a.happened', data: { teamId: '{{ entity.key }}', n: '{{ data.n + 1 }}' } } }],
        },
      ],
    });
    expect(lint(guarded)).toEqual([
      expect.objectContaining({
        severity: 'warning',
        message: expect.stringMatching(/emit loop a.happened → a.happened/),
      }),
    ]);
  });

  it('reports rules shadowed by an earlier once-rule', () => {
    const found = lint(
      base({
        rules: [
          { id: 'first', on: 'a.happened', once: true, then: [{ call: 'hook' }, { end: true }] },
          { id: 'again', on: 'a.happened', once: true, then: [{ call: 'hook' }] },
          { id: 'every', on: 'a.happened', then: [{ call: 'hook' }] },
        ],
      }),
    );
    expect(found.map((p) => [p.path, p.message])).toEqual([
      ['rules[1]', expect.stringMatching(/same trigger and condition as the earlier once-rule "first"/)],
      ['rules[2]', expect.stringMatching(/shadowed by the earlier once-rule "first", which ends the entity/)],
    ]);
  });

  it('warns about data fields in patterns and conditions that the schema does not declare', () => {
    const found = lint(
      base({
        rules: [
          {
            id: 'r',
            on: { event: 'a.happened', match: { data: { colour: ['red'], n: [1] } } },
            if: 'data.n > 1 && event.data.size > 2 && "data.x" != ""',
            then: [{ call: 'hook' }],
          },
        ],
      }),
    );
    expect(found.map((p) => [p.path, p.message])).toEqual([
      ['rules[0].on', expect.stringMatching(/reads data.colour/)],
      ['rules[0].if', expect.stringMatching(/reads data.size/)],
    ]);
  });

  it('warns about environment variables that are not set', () => {
    const found = lint(base(), { APP_KEY: 'k' });
    expect(found).toEqual([
      expect.objectContaining({
        path: 'connectors.hook.http',
        message: 'environment variable HOOK_URL is referenced but not set here',
      }),
    ]);
  });

  it('finds every environment variable of the reference config', async () => {
    const names = envVariables(await loadCompiledConfig('examples/treasure-hunt/hunt.yaml')).map((v) => v.name);
    expect(new Set(names)).toEqual(
      new Set([
        'PAYMENTS_WEBHOOK_SECRET',
        'SHOP_WEBHOOK_SECRET',
        'SCANNER_API_KEY',
        'GAME_SIGNING_SECRET',
        'ADMIN_API_KEY',
        'MAILER_URL',
        'MAILER_TOKEN',
        'PAYOUTS_URL',
        'PAYOUTS_ACCOUNT',
        'PAYOUTS_USER',
        'PAYOUTS_PASSWORD',
        'LEADERBOARD_URL',
        'LEADERBOARD_SIGNING_SECRET',
        'CERTIFICATE_SMTP_URL',
      ]),
    );
  });

  it('reference config: no lint errors and no undeclared fields', async () => {
    const file = 'examples/treasure-hunt/hunt.yaml';
    const found = lintConfigText(await readFile(file, 'utf8'), file, {});
    expect(found.map((p) => p.path)).toEqual(['sources.simulator.auth']);
  });
});

describe('lint helpers', () => {
  it('schemaDeclares follows properties and combinators', () => {
    const schema = { properties: { a: { properties: { b: {} } } }, allOf: [{ properties: { c: {} } }] };
    expect(schemaDeclares(schema, 'a.b')).toBe(true);
    expect(schemaDeclares(schema, 'c')).toBe(true);
    expect(schemaDeclares(schema, 'a.x')).toBe(false);
  });

  it('dataFieldsInExpression skips string literals and other roots', () => {
    expect(dataFieldsInExpression('data.a.b > 1 && event.data.c && state.data.x && "data.y" == \'data.z\'')).toEqual([
      'a.b',
      'c',
    ]);
  });
});

describe('hunt lint: what the language cannot do (issue 16)', () => {
  const two = (rules: unknown[], events: Record<string, unknown> = {}) =>
    base({
      entities: { team: { key: 'data.teamId' }, board: { key: 'data.boardId' } },
      events: {
        'a.happened': { source: 'app', entity: 'team', schema: { type: 'object' } },
        'b.happened': { source: 'app', entity: 'board', schema: { type: 'object' } },
        'c.emitted': { entity: 'board', schema: { type: 'object' } },
        ...events,
      },
      rules,
    });
  const errors = (doc: unknown) => lint(doc).filter((p) => p.severity === 'error');

  it('errors on actions after end', () => {
    const found = errors(two([{ id: 'r', on: 'a.happened', then: [{ end: true }, { call: 'hook' }] }]));
    expect(found.map((p) => [p.path, p.line])).toEqual([['rules[0].then[1]', expect.any(Number)]]);
    expect(found[0]?.message).toMatch(/after `end` in then never run/);
  });

  it.each([
    ['unless', { unless: { event: 'b.happened', window: '5m' } }, 'cancel the deadline', 'rules[0].unless.event'],
    ['within', { within: { event: 'b.happened', window: '5m' } }, 'close the window', 'rules[0].within.event'],
  ])('errors on a cross-entity %s partner', (_kind, timing, effect, path) => {
    const found = errors(two([{ id: 'r', on: 'a.happened', ...timing, then: [{ call: 'hook' }] }]));
    expect(found.map((p) => p.path)).toEqual([path]);
    expect(found[0]?.message).toContain(`reaches entity "board" only: it can never ${effect}`);
  });

  it('errors on an all join across entities', () => {
    const found = errors(two([{ id: 'r', all: 'a.happened && b.happened', then: [{ call: 'hook' }] }]));
    expect(found.map((p) => p.path)).toEqual(['rules[0].all']);
  });

  it('errors on an emit without the target entity’s correlation key, and accepts one with it', () => {
    const missing = errors(
      two([{ id: 'r', on: 'a.happened', then: [{ emit: { type: 'c.emitted', data: { teamId: 'x' } } }] }]),
    );
    expect(missing.map((p) => p.path)).toEqual(['rules[0].then[0].emit']);
    expect(missing[0]?.message).toContain('without data.boardId, the correlation key of entity "board"');
    const bare = errors(two([{ id: 'r', on: 'a.happened', then: [{ emit: 'c.emitted' }] }]));
    expect(bare.map((p) => p.path)).toEqual(['rules[0].then[0].emit']);
    for (const data of [{ boardId: 'main' }, { boardId: '{{ data.board }}' }, '{{ data }}']) {
      expect(errors(two([{ id: 'r', on: 'a.happened', then: [{ emit: { type: 'c.emitted', data } }] }]))).toEqual([]);
    }
  });
});
