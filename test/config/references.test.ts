import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { compileConfigText } from '../../src/config/index.js';
import type { ConfigProblem } from '../../src/config/index.js';

function base(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'refs',
    entities: { team: { key: 'data.teamId' } },
    sources: { app: { auth: { apiKey: { env: 'APP_KEY' } } } },
    events: {
      'a.happened': {
        source: 'app',
        entity: 'team',
        schema: { type: 'object', properties: { teamId: { type: 'string' } } },
      },
    },
    connectors: { hook: { http: { url: '{{ env.HOOK_URL }}', headers: { Authorization: 'Bearer {{ env.TOKEN }}' } } } },
    rules: [{ id: 'r', on: 'a.happened', then: [{ call: 'hook' }] }],
    ...extra,
  };
}

function problems(doc: unknown): ConfigProblem[] {
  const result = compileConfigText(stringify(doc), 'refs.yaml');
  return result.ok ? result.warnings : result.problems;
}

describe('cross-references and expressions', () => {
  it('accepts env in connector settings', () => {
    expect(problems(base())).toEqual([]);
  });

  it('rejects env in reducers, conditions, emitted data and call overrides', () => {
    const found = problems(
      base({
        events: { 'a.happened': { source: 'app', entity: 'team', reduce: [{ set: { k: '{{ env.KEY }}' } }] } },
        rules: [
          {
            id: 'r',
            on: 'a.happened',
            if: 'env.DEBUG == "1"',
            then: [
              { call: 'hook', headers: { X: '{{ env.X }}' } },
              { emit: { type: 'a.happened', data: { s: '{{ env.S }}' } } },
            ],
          },
        ],
      }),
    );
    expect(found.filter((p) => /reads env/.test(p.message)).map((p) => p.path)).toEqual([
      'events["a.happened"].reduce[0].set.k',
      'rules[0].if',
      'rules[0].then[0].headers.X',
      'rules[0].then[1].emit.data.s',
    ]);
  });

  it('names unknown variables with a suggestion', () => {
    const found = problems(base({ rules: [{ id: 'r', on: 'a.happened', if: 'stat.paid', then: [{ end: true }] }] }));
    expect(found).toEqual([
      expect.objectContaining({
        path: 'rules[0].if',
        suggestion: 'state',
        message: expect.stringMatching(/unknown variable "stat"/),
      }),
    ]);
  });

  it('checks placeholders in templates as CEL', () => {
    const found = problems(
      base({ rules: [{ id: 'r', on: 'a.happened', then: [{ call: 'hook', body: { x: '{{ data. }}' } }] }] }),
    );
    expect(found).toEqual([
      expect.objectContaining({ path: 'rules[0].then[0].body.x', message: expect.stringMatching(/not valid CEL/) }),
    ]);
  });

  it('checks the example against the schema', () => {
    const found = problems(
      base({
        events: {
          'a.happened': {
            source: 'app',
            entity: 'team',
            schema: { type: 'object', required: ['teamId'] },
            example: { team: 1 },
          },
        },
      }),
    );
    expect(found).toEqual([
      expect.objectContaining({
        path: 'events["a.happened"].example',
        message: expect.stringMatching(/must have required property 'teamId'/),
      }),
    ]);
  });

  it('reports unknown entities, emitted types and partner events, with suggestions', () => {
    const found = problems(
      base({
        events: { 'a.happened': { source: 'app', entity: 'teem' } },
        rules: [
          { id: 'r', on: 'a.happened', unless: { event: 'a.hapened', window: '1m' }, then: [{ emit: 'a.happend' }] },
          { id: 's', all: ['a.happened', { any: ['a.happened', 'b.happened'] }], then: [{ end: true }] },
        ],
      }),
    );
    expect(found.map((p) => [p.path, p.suggestion])).toEqual([
      ['events["a.happened"].entity', 'team'],
      ['rules[0].unless.event', 'a.happened'],
      ['rules[0].then[0].emit', 'a.happened'],
      ['rules[1].all[1].any[1]', 'a.happened'],
    ]);
  });

  it('requires `on` unless `all` is given, and not both', () => {
    const found = problems(
      base({
        rules: [
          { id: 'r', then: [{ end: true }] },
          { id: 's', on: 'a.happened', all: 'a.happened && a.happened', then: [{ end: true }] },
        ],
      }),
    );
    expect(found.map((p) => p.path)).toEqual(['rules[0]', 'rules[1].on']);
  });

  it('warns about onFailure on a rule that makes no call', () => {
    const found = problems(
      base({ rules: [{ id: 'r', on: 'a.happened', then: [{ end: true }], onFailure: [{ end: true }] }] }),
    );
    expect(found).toEqual([expect.objectContaining({ path: 'rules[0].onFailure', severity: 'warning' })]);
  });

  it('reports schema and reference problems together, in document order', () => {
    const found = problems(
      base({
        connectors: { hook: { http: { url: 'http://x', method: 'FETCH' }, timeout: 5 } },
        rules: [{ id: 'r', on: 'a.hapened', then: [{ call: 'hok' }] }],
      }),
    );
    expect(found.map((p) => p.path)).toEqual([
      'connectors.hook.http.method',
      'connectors.hook.timeout',
      'rules[0].on',
      'rules[0].then[0].call',
    ]);
    expect(found.every((p) => p.line !== undefined && p.column !== undefined)).toBe(true);
  });
});

describe('schema problems', () => {
  it('explains a value matching none of a union with the accepted fields and a suggestion', () => {
    const found = problems(base({ sources: { app: { auth: { apiKy: { env: 'X' } } } } }));
    expect(found).toEqual([
      expect.objectContaining({
        path: 'sources.app.auth',
        suggestion: 'apiKey',
        message: expect.stringMatching(/one of the fields apiKey, standardWebhooks, hubSignature \(or "none"\)/),
      }),
    ]);
  });

  it('says which field is missing and what type was expected', () => {
    const found = problems(base({ entities: { team: { initial: [] } } }));
    expect(found.map((p) => p.message)).toEqual([
      'missing required field "key" (a string)',
      'expected an object, got a list',
    ]);
  });

  it('rejects a document that is not a mapping', () => {
    expect(problems(['a'])).toEqual([
      expect.objectContaining({ path: '(root)', message: 'expected an object, got a list' }),
    ]);
  });
});
