import { describe, expect, it } from 'vitest';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { indexRulesByEvent } from '../../src/rules/rule-index.js';
import { SimulationError, simulate } from '../../src/rules/simulate.js';
import type { SimulationEvent } from '../../src/rules/simulate.js';
import { diffSimulations } from '../../src/rules/simulation-diff.js';
import { formatSimulation, formatSimulationDiff } from '../../src/rules/simulation-report.js';
import { MIN, rule } from './config-fixture.js';

/** Teams report to a hunt entity via emit; a nudge fires when a team is quiet for 10 minutes. */
function huntConfig(nudgeMs = 10 * MIN): CompiledConfig {
  const rules = [
    rule('report', {
      on: [{ type: 'scan' }],
      then: [{ kind: 'emit', type: 'scored', data: { huntId: 'h1', teamId: '{{ entity.key }}' } }],
    }),
    rule('nudge', {
      on: [{ type: 'scan' }],
      timing: { kind: 'unless', event: { type: 'scan' }, windowMs: nudgeMs },
      then: [{ kind: 'call', connector: 'mailer', body: { to: '{{ entity.key }}' } }],
    }),
    rule('board', {
      on: [{ type: 'scored' }],
      then: [{ kind: 'call', connector: 'board', body: '{{ state.scores }}' }],
    }),
  ];
  return {
    name: 'sim',
    version: 'v',
    entities: {
      team: { name: 'team', key: 'data.teamId', initial: {} },
      hunt: { name: 'hunt', key: 'data.huntId', initial: { scores: 0 } },
    },
    sources: {},
    events: {
      scan: { type: 'scan', sources: ['s'], entity: 'team', schema: {}, reduce: [] },
      scored: {
        type: 'scored',
        sources: [],
        entity: 'hunt',
        schema: {},
        reduce: [{ op: 'increment', path: 'scores' }],
      },
    },
    connectors: {},
    rules,
    rulesByEvent: indexRulesByEvent(rules),
  };
}

const scan = (id: string, teamId: string, at: number | string): SimulationEvent => ({
  id,
  source: 's',
  type: 'scan',
  specversion: '1.0',
  data: { teamId },
  at,
});

describe('simulate', () => {
  it('routes events, feeds emitted events back, and fires timers in virtual time', () => {
    const result = simulate(huntConfig(), [
      scan('a', 'red', 0),
      scan('b', 'blue', 5 * MIN),
      scan('c', 'red', 30 * MIN),
    ]);
    expect(result.steps.map((s) => [s.kind, s.entity, s.eventId, s.at, s.fired])).toEqual([
      ['event', 'team/red', 'a', 0, ['report']],
      ['emitted', 'hunt/h1', 'team/red:a:report:0', 0, ['board']],
      ['event', 'team/blue', 'b', 5 * MIN, ['report']],
      ['emitted', 'hunt/h1', 'team/blue:b:report:0', 5 * MIN, ['board']],
      ['timer', 'team/red', 'a', 10 * MIN, ['nudge']],
      ['timer', 'team/blue', 'b', 15 * MIN, ['nudge']],
      ['event', 'team/red', 'c', 30 * MIN, ['report']],
      ['emitted', 'hunt/h1', 'team/red:c:report:0', 30 * MIN, ['board']],
      ['timer', 'team/red', 'c', 40 * MIN, ['nudge']],
    ]);
    expect(result.entities['hunt/h1']?.state).toEqual({ scores: 3 });
    expect(result.steps[1]?.changes).toEqual([{ path: 'scores', before: 0, after: 1 }]);
    expect(result.steps[0]?.notFired).toEqual([expect.objectContaining({ ruleId: 'nudge', clause: 'unless' })]);
  });

  it('stops at the horizon and reports pending timers', () => {
    const result = simulate(huntConfig(), [scan('a', 'red', '2026-01-01T00:00:00Z')], {
      horizon: '2026-01-01T00:05:00Z',
    });
    expect(result.steps.some((s) => s.kind === 'timer')).toBe(false);
    expect(result.entities['team/red']?.timers).toHaveLength(1);
  });

  it('reports unroutable events and bad times', () => {
    const result = simulate(huntConfig(), [{ id: 'x', source: 's', type: 'nope', specversion: '1.0', data: {} }]);
    expect(result.steps[0]).toMatchObject({ status: 'unrouted', reason: 'unknown event type "nope"' });
    expect(() => simulate(huntConfig(), [scan('a', 'red', 'yesterday')])).toThrow(SimulationError);
  });

  it('guards against emit loops', () => {
    const loop = rule('loop', {
      on: [{ type: 'scan' }],
      then: [{ kind: 'emit', type: 'scan', data: { teamId: '{{ entity.key }}' } }],
    });
    const config: CompiledConfig = { ...huntConfig(), rules: [loop], rulesByEvent: indexRulesByEvent([loop]) };
    expect(() => simulate(config, [scan('a', 'red', 0)], { maxSteps: 50 })).toThrow(/emit or timer loop/);
  });

  it('is deterministic: the same input gives the same output', () => {
    const events = [scan('a', 'red', 0), scan('b', 'blue', MIN), scan('a', 'red', 2 * MIN)];
    expect(simulate(huntConfig(), events)).toEqual(simulate(huntConfig(), events));
  });

  it('formats a readable report', () => {
    const text = formatSimulation(simulate(huntConfig(), [scan('a', 'red', 0)]));
    expect(text).toContain('1970-01-01T00:00:00.000Z  team/red  scan a');
    expect(text).toContain('→ report[0] emit scored');
    expect(text).toContain('· nudge: unless — fires at 1970-01-01T00:10:00.000Z unless "scan" arrives');
    expect(text).toContain('state ~ scores: 0 → 1');
  });
});

describe('diffSimulations', () => {
  it('lists the entities whose actions differ, and how', () => {
    const events = [scan('a', 'red', 0), scan('c', 'red', 12 * MIN)];
    const before = simulate(huntConfig(10 * MIN), events);
    const after = simulate(huntConfig(15 * MIN), events);
    const diffs = diffSimulations(before, after);
    expect(diffs.map((d) => d.entity)).toEqual(['team/red']);
    const keys = diffs[0]?.actions.map((a) => [a.key, a.before !== undefined, a.after !== undefined]);
    expect(keys).toEqual([
      [`team/red:a:nudge:0@${10 * MIN}`, true, false],
      [`team/red:c:nudge:0@${22 * MIN}`, true, false],
      [`team/red:c:nudge:0@${27 * MIN}`, false, true],
    ]);
    expect(formatSimulationDiff(diffs)).toContain('team/red: 3 actions differ');
    expect(diffSimulations(before, before)).toEqual([]);
  });
});
