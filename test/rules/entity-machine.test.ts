import { describe, expect, it } from 'vitest';
import type { CompiledRule } from '../../src/config/compiled.js';
import { EntityMachine } from '../../src/rules/entity-machine.js';
import type { Decision, EngineEvent } from '../../src/rules/types.js';
import { MIN, event, rule, team, teamConfig } from './config-fixture.js';

const mail = {
  kind: 'call' as const,
  connector: 'mailer',
  body: { to: '{{ entity.key }}', n: '{{ size(state.found) }}' },
};
const scanReducers = {
  scan: [{ op: 'append' as const, path: 'found', value: '{{ data.cp }}' }],
  other: [],
  answer: [],
};

function machineWith(rules: CompiledRule[], events = scanReducers) {
  return new EntityMachine(teamConfig(events, rules), team);
}

const fired = (decision: Decision) => decision.firings.map((f) => f.ruleId);

describe('EntityMachine: events, reducers, plain rules', () => {
  it('folds reducers, fires matching rules, renders actions with a stable idempotency key', () => {
    const machine = machineWith([rule('r', { on: [{ type: 'scan' }], if: 'size(state.found) == 1', then: [mail] })]);
    const e = event('scan', { cp: 'cp-1' }, { id: 'scan-1' });
    const decision = machine.handleEvent(e, 1000);
    expect(machine.state).toEqual({ found: ['cp-1'], count: 0 });
    expect(decision.delivery).toEqual({ eventId: 'scan-1', source: 'test', status: 'accepted', fired: ['r'] });
    const [firing] = decision.firings;
    expect(firing?.actions[0]).toEqual({
      ruleId: 'r',
      eventId: 'scan-1',
      index: 0,
      idempotencyKey: 'team/t1:scan-1:r:0',
      action: { kind: 'call', connector: 'mailer', body: { to: 't1', n: 1 } },
    });
    // The second scan fails the `if`; the trace says why.
    const second = machine.handleEvent(event('scan', { cp: 'cp-2' }), 2000);
    expect(second.firings).toEqual([]);
    expect(second.trace?.verdicts[0]).toMatchObject({ ruleId: 'r', fired: false, clause: 'if' });
    expect(second.trace?.verdicts[0]?.reason).toContain('is false');
  });

  it('explains pattern failures with the field and value', () => {
    const machine = machineWith([rule('r', { on: [{ type: 'scan', match: { data: { cp: [{ prefix: 'cp-' }] } } }] })]);
    const decision = machine.handleEvent(event('scan', { cp: 'gate-7' }), 0);
    expect(decision.trace?.verdicts[0]).toEqual({
      ruleId: 'r',
      fired: false,
      clause: 'match',
      reason: 'data.cp is "gate-7", not starting with "cp-"',
    });
  });

  it('evaluates rules in config order; set actions are seen by later actions and rules', () => {
    const machine = machineWith([
      rule('first', {
        on: [{ type: 'other' }],
        then: [{ kind: 'set', reducers: [{ op: 'increment', path: 'count' }] }],
      }),
      rule('second', { on: [{ type: 'other' }], if: 'state.count == 1', then: [mail] }),
    ]);
    const decision = machine.handleEvent(event('other'), 0);
    expect(fired(decision)).toEqual(['first', 'second']);
    expect(machine.state.count).toBe(1);
  });

  it('once fires at most once per entity', () => {
    const machine = machineWith([rule('r', { on: [{ type: 'other' }], once: true, then: [mail] })]);
    expect(fired(machine.handleEvent(event('other'), 0))).toEqual(['r']);
    const again = machine.handleEvent(event('other'), 1);
    expect(fired(again)).toEqual([]);
    expect(again.trace?.verdicts[0]?.clause).toBe('once');
  });

  it('a condition that errors stops only its rule', () => {
    const machine = machineWith([
      rule('broken', { on: [{ type: 'other' }], if: 'state.nope > 1' }),
      rule('fine', { on: [{ type: 'other' }] }),
    ]);
    const decision = machine.handleEvent(event('other'), 0);
    expect(decision.delivery?.status).toBe('accepted');
    expect(fired(decision)).toEqual(['fine']);
    expect(decision.trace?.verdicts[0]).toMatchObject({ ruleId: 'broken', clause: 'if' });
  });
});

describe('EntityMachine: dedupe', () => {
  it('the same (source, id) twice changes nothing', () => {
    const machine = machineWith([rule('r', { on: [{ type: 'scan' }], then: [mail] })]);
    const e = event('scan', { cp: 'cp-1' });
    machine.handleEvent(e, 0);
    const again = machine.handleEvent(e, 10);
    expect(again.delivery?.status).toBe('duplicate');
    expect(again.firings).toEqual([]);
    expect(machine.state.found).toEqual(['cp-1']);
    // Same id from another source is another event.
    expect(machine.handleEvent({ ...e, source: 'other' }, 20).delivery?.status).toBe('accepted');
  });

  it('dedupe memory is bounded by count and by age', () => {
    const config = teamConfig(scanReducers, []);
    const byCount = new EntityMachine(config, team, undefined, { maxSeen: 3 });
    const events = [1, 2, 3, 4].map((n) => event('other', {}, { id: `c${n}` }));
    events.forEach((e, i) => byCount.handleEvent(e, i));
    expect(byCount.snapshot().seen.length).toBe(3);
    expect(byCount.handleEvent(events[0]!, 10).delivery?.status).toBe('accepted'); // forgotten: oldest
    expect(byCount.handleEvent(events[3]!, 11).delivery?.status).toBe('duplicate');

    const byAge = new EntityMachine(config, team, undefined, { seenMaxAgeMs: 1000 });
    const e = event('other');
    byAge.handleEvent(e, 0);
    expect(byAge.handleEvent(e, 999).delivery?.status).toBe('duplicate');
    expect(byAge.handleEvent(e, 1000).delivery?.status).toBe('accepted');
  });
});

describe('EntityMachine: poison events and end', () => {
  it('a failing reducer rejects the event and leaves everything unchanged', () => {
    const config = teamConfig({ bad: [{ op: 'increment', path: 'found' }], scan: scanReducers.scan }, [
      rule('r', {
        on: [{ type: 'scan' }],
        timing: { kind: 'unless', event: { type: 'bad' }, windowMs: MIN },
      }),
    ]);
    const machine = new EntityMachine(config, team);
    machine.handleEvent(event('scan', { cp: 'cp-1' }), 0);
    const before = machine.snapshot();
    const poison = event('bad');
    const decision = machine.handleEvent(poison, 10);
    expect(decision.delivery?.status).toBe('rejected');
    expect(decision.delivery?.reason).toMatch(/not a number/);
    expect(machine.state).toEqual(before.state);
    expect(machine.nextDeadline()).toBe(MIN); // the pending `unless` deadline was not cancelled
    // The entity keeps working, and the rejected event was not remembered as seen.
    expect(machine.handleEvent(event('scan', { cp: 'cp-2' }), 20).delivery?.status).toBe('accepted');
    expect(machine.handleEvent(poison, 30).delivery?.status).toBe('rejected');
  });

  it('a failing action template rejects the event, rolling back set actions of earlier rules', () => {
    const machine = machineWith([
      rule('setter', {
        on: [{ type: 'other' }],
        then: [{ kind: 'set', reducers: [{ op: 'increment', path: 'count' }] }],
      }),
      rule('broken', { on: [{ type: 'other' }], then: [{ kind: 'call', connector: 'm', body: '{{ state.nope }}' }] }),
    ]);
    const decision = machine.handleEvent(event('other'), 0);
    expect(decision.delivery?.status).toBe('rejected');
    expect(decision.delivery?.reason).toContain('rule broken then[0].body');
    expect(machine.state.count).toBe(0);
  });

  it('end ends the entity: timers are dropped and later events rejected with "entity ended"', () => {
    const machine = machineWith([
      rule('wait', { on: [{ type: 'scan' }], timing: { kind: 'debounce', quietMs: MIN }, then: [mail] }),
      rule('stop', { on: [{ type: 'other' }], then: [{ kind: 'end', reason: 'done' }] }),
    ]);
    machine.handleEvent(event('scan', { cp: 'cp-1' }), 0);
    const decision = machine.handleEvent(event('other'), 10);
    expect(decision.ended).toBe(true);
    expect(machine.ended).toBe(true);
    expect(machine.nextDeadline()).toBeUndefined();
    expect(machine.snapshot().ended).toEqual({ at: 10, reason: 'done' });
    const late = machine.handleEvent(event('scan', { cp: 'cp-2' }), 20);
    expect(late.delivery).toMatchObject({ status: 'rejected', reason: 'entity ended' });
  });
});

describe('EntityMachine: timing', () => {
  it('within: A opens a window, B inside it fires with B; an expired window just closes', () => {
    const machine = machineWith([
      rule('w', {
        on: [{ type: 'scan' }],
        timing: { kind: 'within', then: { type: 'answer' }, windowMs: 2 * MIN },
        then: [mail],
      }),
    ]);
    machine.handleEvent(event('scan', { cp: 'cp-1' }), 0);
    expect(machine.timers()).toEqual([expect.objectContaining({ ruleId: 'w', at: 2 * MIN })]);
    const b = event('answer', {}, { id: 'b1' });
    const decision = machine.handleEvent(b, MIN);
    expect(decision.firings).toEqual([expect.objectContaining({ ruleId: 'w', eventId: 'b1', cause: 'event' })]);
    expect(machine.nextDeadline()).toBeUndefined();

    machine.handleEvent(event('scan', { cp: 'cp-2' }), 10 * MIN);
    expect(machine.fireDue(12 * MIN)).toEqual([]);
    expect(fired(machine.handleEvent(event('answer'), 12 * MIN + 1))).toEqual([]);
  });

  it('unless: B cancels the deadline; otherwise it fires at the deadline with A', () => {
    const machine = machineWith([
      rule('u', {
        on: [{ type: 'scan' }],
        timing: { kind: 'unless', event: { type: 'answer' }, windowMs: 10 * MIN },
        then: [mail],
      }),
    ]);
    machine.handleEvent(event('scan', { cp: 'cp-1' }), 0);
    machine.handleEvent(event('answer'), 5 * MIN);
    expect(machine.nextDeadline()).toBeUndefined();

    const a = event('scan', { cp: 'cp-2' }, { id: 'a2' });
    machine.handleEvent(a, 20 * MIN);
    expect(machine.nextDeadline()).toBe(30 * MIN);
    expect(machine.fireDue(30 * MIN - 1)).toEqual([]);
    const [decision] = machine.fireDue(30 * MIN);
    expect(decision?.firings[0]).toMatchObject({ ruleId: 'u', eventId: 'a2', cause: 'timer', at: 30 * MIN });
    expect(decision?.firings[0]?.actions[0]?.idempotencyKey).toBe(`team/t1:a2:u:0@${30 * MIN}`);
    expect(decision?.trace).toMatchObject({ eventId: 'a2', cause: 'timer', status: 'accepted' });
    expect(machine.traces('a2')).toHaveLength(2);
  });

  it('unless with the same event as trigger and canceller restarts the deadline (stuck-team nudge)', () => {
    const machine = machineWith([
      rule('nudge', {
        on: [{ type: 'scan' }],
        timing: { kind: 'unless', event: { type: 'scan' }, windowMs: 45 * MIN },
      }),
    ]);
    machine.handleEvent(event('scan', { cp: 'cp-1' }), 0);
    machine.handleEvent(event('scan', { cp: 'cp-2' }), 30 * MIN);
    expect(machine.nextDeadline()).toBe(75 * MIN);
  });

  it('a late event still sees a due timer fire first', () => {
    const machine = machineWith([
      rule('u', { on: [{ type: 'scan' }], timing: { kind: 'unless', event: { type: 'answer' }, windowMs: MIN } }),
    ]);
    machine.handleEvent(event('scan', { cp: 'cp-1' }), 0);
    const decision = machine.handleEvent(event('answer'), 2 * MIN);
    expect(decision.firings).toEqual([expect.objectContaining({ ruleId: 'u', cause: 'timer' })]);
  });

  it('count: N matching events within a sliding window fire, then the count resets', () => {
    const machine = machineWith([
      rule('c', {
        on: [{ type: 'answer', match: { data: { correct: [false] } } }],
        timing: { kind: 'count', count: 3, windowMs: 10 * MIN },
        then: [mail],
      }),
    ]);
    const wrong = () => event('answer', { correct: false });
    expect(fired(machine.handleEvent(wrong(), 0))).toEqual([]);
    expect(fired(machine.handleEvent(wrong(), 5 * MIN))).toEqual([]);
    // The first leaves the window at 10m: only two remain.
    const third = machine.handleEvent(wrong(), 11 * MIN);
    expect(fired(third)).toEqual([]);
    expect(third.trace?.verdicts[0]?.reason).toContain('2 of 3');
    expect(fired(machine.handleEvent(event('answer', { correct: true }), 12 * MIN))).toEqual([]);
    expect(fired(machine.handleEvent(wrong(), 13 * MIN))).toEqual(['c']);
    expect(machine.snapshot().rules.c).toBeUndefined();
  });

  it('debounce: fires after the quiet period with the last event', () => {
    const machine = machineWith([
      rule('d', { on: [{ type: 'other' }], timing: { kind: 'debounce', quietMs: MIN }, then: [mail] }),
    ]);
    machine.handleEvent(event('other', {}, { id: 'd1' }), 0);
    machine.handleEvent(event('other', {}, { id: 'd2' }), 30_000);
    expect(machine.fireDue(MIN)).toEqual([]);
    const [decision] = machine.fireDue(90_000);
    expect(decision?.firings[0]).toMatchObject({ eventId: 'd2', cause: 'timer' });
  });

  it('throttle: at most once per interval', () => {
    const machine = machineWith([
      rule('t', { on: [{ type: 'other' }], timing: { kind: 'throttle', intervalMs: 10 * MIN }, then: [mail] }),
    ]);
    expect(fired(machine.handleEvent(event('other'), 0))).toEqual(['t']);
    const blocked = machine.handleEvent(event('other'), 5 * MIN);
    expect(fired(blocked)).toEqual([]);
    expect(blocked.trace?.verdicts[0]?.clause).toBe('throttle');
    expect(fired(machine.handleEvent(event('other'), 10 * MIN))).toEqual(['t']);
  });

  it('all: fires when the join holds within the window, then resets', () => {
    const join = {
      all: [{ event: { type: 'scan' } }, { any: [{ event: { type: 'answer' } }, { event: { type: 'other' } }] }],
    };
    const machine = machineWith([
      rule('j', {
        on: [{ type: 'scan' }, { type: 'answer' }, { type: 'other' }],
        timing: { kind: 'all', join, windowMs: 10 * MIN },
        then: [mail],
      }),
    ]);
    const first = machine.handleEvent(event('scan', { cp: 'cp-1' }), 0);
    expect(first.trace?.verdicts[0]?.reason).toContain('waiting for');
    // Too late: the scan has left the window.
    expect(fired(machine.handleEvent(event('other'), 11 * MIN))).toEqual([]);
    expect(fired(machine.handleEvent(event('scan', { cp: 'cp-2' }), 12 * MIN))).toEqual(['j']);
    expect(machine.snapshot().rules.j).toBeUndefined();
  });
});

describe('EntityMachine: snapshots', () => {
  const rules = [
    rule('plain', { on: [{ type: 'scan' }], if: 'size(state.found) % 2 == 0', then: [mail] }),
    rule('u', {
      on: [{ type: 'scan' }],
      timing: { kind: 'unless', event: { type: 'answer' }, windowMs: 7 * MIN },
      then: [mail],
    }),
    rule('c', { on: [{ type: 'answer' }], timing: { kind: 'count', count: 3, windowMs: 20 * MIN }, then: [mail] }),
    rule('d', { on: [{ type: 'other' }], timing: { kind: 'debounce', quietMs: 4 * MIN }, then: [mail] }),
    rule('t', { on: [{ type: 'other' }], timing: { kind: 'throttle', intervalMs: 9 * MIN }, then: [mail] }),
    rule('w', {
      on: [{ type: 'scan' }],
      timing: { kind: 'within', then: { type: 'other' }, windowMs: 3 * MIN },
      then: [mail],
    }),
    rule('o', { on: [{ type: 'answer' }], once: true, then: [mail] }),
  ];
  const config = teamConfig(scanReducers, rules);
  const types = ['scan', 'answer', 'other'];
  const events: Array<[EngineEvent, number]> = Array.from({ length: 60 }, (_, i) => [
    {
      id: `s${i % 50}`,
      source: 'test',
      type: types[(i * 7) % 3]!,
      specversion: '1.0',
      data: { teamId: 't1', cp: `cp-${i}` },
    },
    i * 2 * MIN + (i % 3) * 17_000,
  ]);

  function run(machine: EntityMachine, slice: Array<[EngineEvent, number]>) {
    return slice.map(([e, at]) => [machine.fireDue(at), machine.handleEvent(e, at)]);
  }

  it('snapshot + resume midway gives the same outputs as one uninterrupted run', () => {
    const whole = new EntityMachine(config, team);
    const expected = run(whole, events);
    for (const cut of [1, 17, 30, 59]) {
      const first = new EntityMachine(config, team);
      const before = run(first, events.slice(0, cut));
      const snapshot = JSON.parse(JSON.stringify(first.snapshot()));
      const resumed = new EntityMachine(config, team, snapshot);
      const after = run(resumed, events.slice(cut));
      expect([...before, ...after]).toEqual(expected);
      expect(resumed.snapshot()).toEqual(whole.snapshot());
    }
  });

  it('traces are bounded', () => {
    const machine = new EntityMachine(config, team, undefined, { maxTraces: 5 });
    run(machine, events);
    expect(machine.traces()).toHaveLength(5);
  });
});

describe('EntityMachine: cost', () => {
  it('evaluates only the rules indexed for the event type', () => {
    const many = Array.from({ length: 500 }, (_, i) => rule(`other-${i}`, { on: [{ type: 'other' }] }));
    const machine = machineWith([rule('r', { on: [{ type: 'scan' }] }), ...many]);
    const decision = machine.handleEvent(event('scan', { cp: 'cp-1' }), 0);
    expect(decision.trace?.verdicts.map((v) => v.ruleId)).toEqual(['r']);
  });
});
