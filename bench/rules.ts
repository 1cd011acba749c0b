/**
 * Throughput of the EntityMachine with 10, 100 and 1,000 rules, of which only a few are indexed for
 * the event's type: the cost per event must not grow with rules that do not see it.
 * Run: npx tsx bench/rules.ts
 */
import type { CompiledConfig, CompiledRule } from '../src/config/compiled.js';
import { EntityMachine } from '../src/rules/entity-machine.js';
import { indexRulesByEvent } from '../src/rules/rule-index.js';
import type { EngineEvent } from '../src/rules/types.js';

const MATCHING_RULES = 3;
const EVENTS = 20_000;

function configWith(totalRules: number): CompiledConfig {
  const rules: CompiledRule[] = [];
  // The few rules that see `scan`: a pattern, a condition, a template, and a timer.
  rules.push(
    {
      id: 'clue',
      on: [{ type: 'scan', match: { data: { checkpoint: [{ prefix: 'cp-' }] } } }],
      if: 'state.paid && size(state.found) < 1000000',
      once: false,
      then: [{ kind: 'call', connector: 'mailer', body: { to: '{{ data.teamId }}', n: '{{ size(state.found) }}' } }],
      onFailure: [],
    },
    {
      id: 'nudge',
      on: [{ type: 'scan' }],
      timing: { kind: 'unless', event: { type: 'scan' }, windowMs: 45 * 60_000 },
      once: false,
      then: [{ kind: 'call', connector: 'mailer', body: { template: 'nudge' } }],
      onFailure: [],
    },
    {
      id: 'count',
      on: [{ type: 'scan' }],
      timing: { kind: 'count', count: 5, windowMs: 10 * 60_000 },
      once: false,
      then: [],
      onFailure: [],
    },
  );
  for (let i = rules.length; i < totalRules; i++) {
    rules.push({
      id: `other-${i}`,
      on: [{ type: `other.${i % 50}`, match: { data: { x: [{ numeric: ['>', 0] }] } } }],
      if: 'state.paid',
      once: false,
      then: [{ kind: 'call', connector: 'mailer', body: { n: '{{ data.x }}' } }],
      onFailure: [],
    });
  }
  const eventTypes = ['scan', ...Array.from({ length: 50 }, (_, i) => `other.${i}`)];
  return {
    name: 'bench',
    version: `bench-${totalRules}`,
    entities: { team: { name: 'team', key: 'data.teamId', initial: { paid: true, found: [] } } },
    sources: {},
    events: Object.fromEntries(
      eventTypes.map((type) => [
        type,
        {
          type,
          sources: ['bench'],
          entity: 'team',
          schema: {},
          // Keep state small so the bench measures rule cost, not a growing list.
          reduce: [{ op: 'set' as const, path: 'last', value: '{{ data.checkpoint }}' }],
        },
      ]),
    ),
    connectors: {},
    rules,
    rulesByEvent: indexRulesByEvent(rules),
  };
}

function measure(totalRules: number): { rules: number; indexed: number; eventsPerSecond: number; usPerEvent: number } {
  const config = configWith(totalRules);
  const events: EngineEvent[] = Array.from({ length: EVENTS }, (_, i) => ({
    id: `e${i}`,
    source: 'bench',
    type: 'scan',
    specversion: '1.0',
    data: { teamId: 'red', checkpoint: `cp-${i % 7}` },
  }));
  const run = (): number => {
    const machine = new EntityMachine(config, { type: 'team', key: 'red' });
    const started = performance.now();
    events.forEach((event, i) => {
      const now = i * 1000;
      machine.fireDue(now);
      machine.handleEvent(event, now);
    });
    return performance.now() - started;
  };
  run(); // warm-up: JIT and the CEL parse cache
  const ms = Math.min(run(), run(), run());
  return {
    rules: totalRules,
    indexed: config.rulesByEvent.scan?.length ?? 0,
    eventsPerSecond: Math.round((EVENTS / ms) * 1000),
    usPerEvent: Number(((ms * 1000) / EVENTS).toFixed(2)),
  };
}

const rows = [10, 100, 1000].map(measure);
console.table(
  rows.map((r) => ({
    rules: r.rules,
    'indexed for scan': r.indexed,
    'events/s': r.eventsPerSecond,
    'µs/event': r.usPerEvent,
  })),
);
const ratio = (rows[2]?.eventsPerSecond ?? 0) / (rows[0]?.eventsPerSecond ?? 1);
console.log(
  `throughput ratio 1000-rule / 10-rule: ${ratio.toFixed(2)} (≈1 means non-matching rules cost nothing; ${MATCHING_RULES} rules see the event)`,
);
