import { describe, expect, it } from 'vitest';
import type { CompiledRule } from '../../src/config/index.js';
import { loadCompiledConfig } from '../../src/config/index.js';
import { describeRule, renderDocs } from '../../src/config/docs.js';

const rule = (extra: Partial<CompiledRule>): CompiledRule => ({
  id: 'r',
  on: [{ type: 'a.b' }],
  once: false,
  then: [{ kind: 'call', connector: 'mailer', summary: 'hint' }],
  onFailure: [],
  ...extra,
});

describe('describeRule', () => {
  it.each([
    [{}, 'When a.b arrives, then: call mailer (hint).'],
    [
      { timing: { kind: 'within', then: { type: 'c.d' }, windowMs: 120_000 } },
      'When a.b arrives and c.d follows within 2m, then',
    ],
    [
      { timing: { kind: 'unless', event: { type: 'c.d' }, windowMs: 2_700_000 } },
      'c.d does not follow within 45m (at that deadline)',
    ],
    [{ timing: { kind: 'count', count: 3, windowMs: 600_000 } }, 'When 3 × a.b arrive within 10m'],
    [{ timing: { kind: 'debounce', quietMs: 900_000 } }, 'nothing more of it for 15m (debounced)'],
    [{ timing: { kind: 'throttle', intervalMs: 600_000 } }, 'at most once every 10m'],
    [
      {
        timing: {
          kind: 'all',
          join: { all: [{ event: { type: 'a.b' } }, { any: [{ event: { type: 'c' } }, { event: { type: 'd' } }] }] },
          windowMs: 86_400_000,
        },
      },
      'When all of a.b and (c or d) have arrived, in any order, within 1d',
    ],
    [{ if: 'state.paid', once: true }, 'if `state.paid` (only the first time, per entity)'],
    [
      { on: [{ type: 'a.b', match: { data: { cp: [{ prefix: 'cp-' }], ok: [true] } } }] },
      'a.b (data.cp starting with "cp-" and data.ok = true)',
    ],
    [
      {
        then: [
          { kind: 'set', reducers: [{ op: 'increment', path: 'n', value: 2 }] },
          { kind: 'emit', type: 'x.y', data: {} },
          { kind: 'end', reason: 'done' },
        ],
      },
      'then: add `2` to n; emit x.y; end the entity (done).',
    ],
    [{ onFailure: [{ kind: 'call', connector: 'ops' }] }, 'If a call still fails after its retries: call ops.'],
  ] as Array<[Partial<CompiledRule>, string]>)('%#: %s', (extra, expected) => {
    expect(describeRule(rule(extra))).toContain(expected);
  });
});

describe('renderDocs', () => {
  it('catalogs every event with schema and example, every rule in words, every connector with its callers', async () => {
    const config = await loadCompiledConfig('examples/treasure-hunt/hunt.yaml');
    const markdown = renderDocs(config);
    for (const type of Object.keys(config.events)) expect(markdown).toContain(`### ${type}`);
    for (const r of config.rules) expect(markdown).toContain(describeRule(r));
    expect(markdown).toContain('"checkpoint": "cp-1"');
    expect(markdown).toMatch(/### payouts[\s\S]*called by: pay-winner, refund-cancelled-hunt/);
    expect(markdown).toContain('Emitted by: finish-hunt.');
  });
});
