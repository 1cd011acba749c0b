import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { compileConfigText, loadCompiledConfig } from '../../src/config/index.js';
import type { CompiledConfig } from '../../src/config/index.js';

const reference = 'examples/treasure-hunt/hunt.yaml';

/** A small valid config; `extra` is merged in at the top level. */
function minimal(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'mini',
    entities: { team: { key: 'data.teamId' } },
    sources: { app: { auth: { apiKey: { env: 'APP_KEY' } } } },
    events: {
      'a.happened': { source: 'app', entity: 'team' },
      'b.happened': { source: 'app', entity: 'team' },
      'c.happened': { source: 'app', entity: 'team' },
    },
    connectors: { hook: { http: { url: '{{ env.HOOK_URL }}' } } },
    rules: [{ id: 'r', on: 'a.happened', then: [{ call: 'hook' }] }],
    ...extra,
  };
}

function compile(doc: unknown): CompiledConfig {
  const result = compileConfigText(stringify(doc), 'mini.yaml');
  if (!result.ok) throw new Error(result.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return result.config;
}

describe('compiling the reference config', () => {
  it('compiles with every capability, and only the flagged `none` source as a warning', async () => {
    const result = compileConfigText(await readFile(reference, 'utf8'), reference);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.warnings.map((w) => w.path)).toEqual(['sources.simulator.auth']);
    const config = result.config;
    expect(Object.keys(config.entities)).toEqual(['team', 'hunt']);
    const timings = new Set(config.rules.map((r) => r.timing?.kind));
    for (const kind of ['within', 'unless', 'count', 'debounce', 'throttle', 'all']) expect(timings).toContain(kind);
    const actions = new Set(config.rules.flatMap((r) => [...r.then, ...r.onFailure].map((a) => a.kind)));
    expect([...actions].sort()).toEqual(['call', 'emit', 'end', 'set', 'signal', 'start']);
    expect(config.rules.some((r) => r.once && r.if)).toBe(true);
    expect(config.rules.some((r) => r.onFailure.length > 0)).toBe(true);
    const ops = new Set([...Object.values(config.events).flatMap((e) => e.reduce.map((r) => r.op))]);
    expect([...ops].sort()).toEqual(['append', 'increment', 'merge', 'remove', 'set']);
    const auths = new Set(Object.values(config.sources).map((s) => s.auth.type));
    expect([...auths].sort()).toEqual(['apiKey', 'hubSignature', 'none', 'standardWebhooks', 'webhookOnly']);
    const outgoing = new Set(
      Object.values(config.connectors)
        .filter((c) => c.http)
        .map((c) => c.http?.auth?.type),
    );
    expect([...outgoing].sort()).toEqual(['basic', 'bearer', 'standardWebhooks']);
  });

  it('indexes rules by every event type they observe, partners of within/unless/all included', async () => {
    const config = await loadCompiledConfig(reference);
    expect(config.rulesByEvent['answer.submitted']).toEqual([
      'lock-out-guessers',
      'lift-lock-out',
      'quick-solver-bonus',
    ]);
    expect(config.rulesByEvent['guardian.consented']).toEqual(['team-ready']);
    expect(config.rulesByEvent['team.joined']).toBeUndefined();
  });

  it('gives a 16-hex content-hash version, stable for equal content and key order', () => {
    const a = compile(minimal());
    const reordered = Object.fromEntries(Object.entries(minimal()).reverse());
    expect(a.version).toMatch(/^[0-9a-f]{16}$/);
    expect(compile(reordered).version).toBe(a.version);
    expect(compile(minimal({ name: 'other' })).version).not.toBe(a.version);
  });

  it('is plain JSON (survives a JSON round trip unchanged)', async () => {
    const config = await loadCompiledConfig(reference);
    expect(JSON.parse(JSON.stringify(config))).toEqual(config);
  });
});

describe('compiled forms', () => {
  it('turns durations into milliseconds', () => {
    const config = compile(
      minimal({
        rules: [
          { id: 'w', on: 'a.happened', within: { event: 'b.happened', window: '250ms' }, then: [{ end: true }] },
          { id: 'u', on: 'a.happened', unless: { event: 'b.happened', window: '1h30m' }, then: [{ end: true }] },
          { id: 'c', on: 'a.happened', count: { times: 3, window: '10m' }, then: [{ end: true }] },
          { id: 'd', on: 'a.happened', debounce: '30s', then: [{ end: true }] },
          { id: 't', on: 'a.happened', throttle: '1d', then: [{ end: true }] },
        ],
      }),
    );
    expect(config.rules.map((r) => r.timing)).toEqual([
      { kind: 'within', then: { type: 'b.happened' }, windowMs: 250 },
      { kind: 'unless', event: { type: 'b.happened' }, windowMs: 5_400_000 },
      { kind: 'count', count: 3, windowMs: 600_000, mode: 'reset' },
      { kind: 'debounce', quietMs: 30_000 },
      { kind: 'throttle', intervalMs: 86_400_000 },
    ]);
  });

  it('compiles `all` from the string and the list form to the same join, with on = its events', () => {
    const fromString = compile(
      minimal({ rules: [{ id: 'j', all: 'a.happened && (b.happened || c.happened)', then: [{ end: true }] }] }),
    );
    const fromList = compile(
      minimal({
        rules: [{ id: 'j', all: ['a.happened', { any: ['b.happened', 'c.happened'] }], then: [{ end: true }] }],
      }),
    );
    const expected = {
      all: [
        { event: { type: 'a.happened' } },
        { any: [{ event: { type: 'b.happened' } }, { event: { type: 'c.happened' } }] },
      ],
    };
    expect(fromString.rules[0]!.timing).toEqual({ kind: 'all', join: expected });
    expect(fromList.rules[0]!.timing).toEqual({ kind: 'all', join: expected });
    expect(fromString.rules[0]!.on.map((r) => r.type)).toEqual(['a.happened', 'b.happened', 'c.happened']);
    const windowed = compile(
      minimal({ rules: [{ id: 'j', all: { of: 'a.happened && b.happened', window: '1h' }, then: [{ end: true }] }] }),
    );
    expect(windowed.rules[0]!.timing).toMatchObject({ kind: 'all', windowMs: 3_600_000 });
  });

  it('normalises patterns: scalars and single matchers become lists', () => {
    const config = compile(
      minimal({
        rules: [
          {
            id: 'p',
            on: {
              event: 'a.happened',
              match: {
                data: { team: 'red', cp: { prefix: 'cp-' }, n: [{ numeric: ['>', 0, '<=', 5] }] },
                $or: [{ subject: ['x'] }, { subject: ['y'] }],
              },
            },
            then: [{ end: true }],
          },
        ],
      }),
    );
    expect(config.rules[0]!.on[0]!.match).toEqual({
      data: { team: ['red'], cp: [{ prefix: 'cp-' }], n: [{ numeric: ['>', 0, '<=', 5] }] },
      $or: [{ subject: ['x'] }, { subject: ['y'] }],
    });
  });

  it('expands action and reducer shorthands', () => {
    const config = compile(
      minimal({
        events: {
          'a.happened': {
            source: 'app',
            entity: 'team',
            reduce: [
              { set: { x: 1, y: '{{ data.y }}' } },
              { remove: 'old' },
              { remove: ['a', 'b'] },
              { remove: { list: '{{ data.id }}' } },
            ],
          },
        },
        rules: [
          {
            id: 'r',
            on: 'a.happened',
            then: [
              { emit: 'a.happened' },
              { set: { done: true } },
              { set: [{ increment: { n: 2 } }] },
              { end: 'done' },
              { end: true },
            ],
          },
        ],
      }),
    );
    expect(config.events['a.happened']!.reduce).toEqual([
      { op: 'set', path: 'x', value: 1 },
      { op: 'set', path: 'y', value: '{{ data.y }}' },
      { op: 'remove', path: 'old' },
      { op: 'remove', path: 'a' },
      { op: 'remove', path: 'b' },
      { op: 'remove', path: 'list', value: '{{ data.id }}' },
    ]);
    expect(config.rules[0]!.then).toEqual([
      { kind: 'emit', type: 'a.happened', data: {} },
      { kind: 'set', reducers: [{ op: 'set', path: 'done', value: true }] },
      { kind: 'set', reducers: [{ op: 'increment', path: 'n', value: 2 }] },
      { kind: 'end', reason: 'done' },
      { kind: 'end' },
    ]);
  });

  it('fills connector defaults and compiles success statuses to merged ranges', () => {
    const config = compile(minimal());
    expect(config.connectors.hook).toEqual({
      name: 'hook',
      http: { url: '{{ env.HOOK_URL }}', method: 'POST', headers: {}, successStatuses: [[200, 299]] },
      timeoutMs: 10_000,
      retry: {},
      idempotencyHeader: 'Idempotency-Key',
      recordBodyBytes: 2048,
      recordHeaders: [],
    });
    const custom = compile(
      minimal({
        connectors: {
          hook: {
            http: { url: 'http://x', method: 'PUT', successStatuses: [201, '2xx', '404-409', 410] },
            timeout: '3s',
            retry: {
              initialInterval: '1s',
              backoffCoefficient: 2,
              maximumInterval: '1m',
              maximumAttempts: 4,
              nonRetryableErrorTypes: ['Bad'],
            },
            record: { headers: ['X-Request-Id'], bodyBytes: 10 },
            concurrency: 3,
            rateLimit: 5,
          },
        },
      }),
    );
    expect(custom.connectors.hook).toMatchObject({
      http: {
        method: 'PUT',
        successStatuses: [
          [200, 299],
          [404, 410],
        ],
      },
      timeoutMs: 3000,
      retry: {
        initialIntervalMs: 1000,
        backoffCoefficient: 2,
        maximumIntervalMs: 60_000,
        maximumAttempts: 4,
        nonRetryableErrorTypes: ['Bad'],
      },
      recordHeaders: ['x-request-id'],
      recordBodyBytes: 10,
      concurrency: 3,
      rateLimit: 5,
    });
  });

  it('compiles source auth with default headers', () => {
    const config = compile(
      minimal({
        sources: {
          app: { auth: { apiKey: { env: 'K' } }, rateLimit: 5 },
          hub: { auth: { hubSignature: { secretEnv: 'S' } } },
          sw: { auth: { standardWebhooks: { secretEnv: 'W' } } },
          dev: { auth: 'none' },
        },
      }),
    );
    expect(config.sources).toEqual({
      app: { name: 'app', auth: { type: 'apiKey', header: 'x-api-key', env: 'K' }, rateLimit: 5 },
      hub: { name: 'hub', auth: { type: 'hubSignature', secretEnv: 'S', header: 'x-hub-signature-256' } },
      sw: { name: 'sw', auth: { type: 'standardWebhooks', secretEnv: 'W' } },
      dev: { name: 'dev', auth: { type: 'none' } },
    });
  });

  it('reads JSON as well as YAML, with positions', () => {
    const json = JSON.stringify(minimal({ rules: [{ id: 'r', on: 'a.hapened', then: [{ end: true }] }] }), null, 2);
    const result = compileConfigText(json, 'mini.json');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const problem = result.problems.find((p) => p.path === 'rules[0].on');
    expect(problem).toMatchObject({ suggestion: 'a.happened' });
    expect(json.split('\n')[problem!.line! - 1]).toContain('"a.hapened"');
  });
});

describe('unless with several events (issue 16)', () => {
  it('compiles a list of cancelling events, indexes the rule under each, and keeps one event as before', async () => {
    const { compileConfigText } = await import('../../src/config/index.js');
    const text = (event: string) => `
name: incidents
entities: { incident: { key: data.id } }
sources: { pager: { auth: { apiKey: { env: K } } } }
events:
  raised: { source: pager, entity: incident }
  acked: { source: pager, entity: incident }
  resolved: { source: pager, entity: incident }
connectors: { mailer: { http: { url: 'http://m' } } }
rules:
  - { id: escalate, on: raised, unless: { event: ${event}, window: 5m }, then: [ { call: mailer } ] }
`;
    const several = compileConfigText(text('[acked, resolved]'), 'a.yaml');
    if (!several.ok) throw new Error(JSON.stringify(several.problems));
    expect(several.config.rules[0]?.timing).toEqual({
      kind: 'unless',
      event: [{ type: 'acked' }, { type: 'resolved' }],
      windowMs: 300_000,
    });
    expect(several.config.rulesByEvent).toMatchObject({ acked: ['escalate'], resolved: ['escalate'] });
    const one = compileConfigText(text('acked'), 'b.yaml');
    expect(one.ok && one.config.rules[0]?.timing).toEqual({
      kind: 'unless',
      event: { type: 'acked' },
      windowMs: 300_000,
    });
    const unknown = compileConfigText(text('[acked, resolvd]'), 'c.yaml');
    expect(unknown.ok ? [] : unknown.problems.map((p) => p.path)).toEqual(['rules[0].unless.event[1]']);
  });
});
