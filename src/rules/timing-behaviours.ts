/**
 * One typed behaviour per timing kind (none, `throttle`, `within`, `unless`, `count`, `debounce`, `all`): its
 * partner events, what it remembers, how a trigger and a partner change that memory, its deadline, what happens
 * at the deadline, its timers in words, when `if` is checked, and the sentence `hunt docs` prints. The machine
 * (entity-machine.ts) runs the steps every kind shares — dedupe, reducers, `on`/`match`, `if`, `once`,
 * transactions, planning actions — and asks the rule's behaviour for the rest, so what runs, what the trace
 * says and what the docs say are written in one place per kind.
 */
import type { CompiledRule, CountMode, EventRef, JoinExpr, RuleTiming } from '../config/compiled.js';
import { joinLeaves, joinSatisfied, missingLeaves } from './join.js';
import { matchPattern } from './patterns.js';
import type { MatchResult } from './patterns.js';
import type { EngineEvent, Firing, RuleClause, RuleVerdict } from './types.js';
import { showDuration, showTime } from './wording.js';

export type TimingKind = RuleTiming['kind'] | 'none';
export type TimingOf<K extends TimingKind> = K extends 'none' ? undefined : Extract<RuleTiming, { kind: K }>;

interface Pending {
  /** When the deadline falls. */
  at: number;
  /** When the first trigger of this deadline arrived (debounce keeps it across re-arms). */
  since: number;
  /** The event the rule fires with at the deadline. */
  event: EngineEvent;
}

/** What a rule remembers between events, per kind. Carried in snapshots as `rules[ruleId]`: plain JSON. */
export interface MemoryByKind {
  none: Record<never, never>;
  throttle: Record<never, never>;
  within: { window?: { until: number; openedAt: number; opener: EngineEvent } | undefined };
  unless: { pending?: Pending | undefined };
  debounce: { pending?: Pending | undefined };
  /** Times of the matching events in the window, oldest first. */
  count: { hits?: number[] | undefined };
  /** Latest event seen per join leaf: [leaf index, time, event]. */
  all: { joined?: Array<[number, number, EngineEvent]> | undefined };
}

/** A rule's memory: its kind (memory of another kind, after a config change, is dropped), `firedAt`, its own fields. */
export type RuleMemory<K extends TimingKind = TimingKind> = { kind: K; firedAt?: number } & MemoryByKind[K];

/** Why a rule did or did not fire, and what it planned when it did. */
export interface RuleOutcome {
  verdict: RuleVerdict;
  firing?: Firing;
}

/** Language meanings that changed over time (see LanguageSemantics in entity-machine.ts). */
export interface BehaviourSemantics {
  absenceIfAtDeadline: boolean;
}

/** What the machine lends a behaviour while it evaluates one rule at engine time `now`. */
export interface RuleStep<K extends TimingKind> {
  readonly rule: CompiledRule;
  readonly timing: TimingOf<K>;
  readonly now: number;
  readonly semantics: BehaviourSemantics;
  /** The rule's memory as it is now (updated by `remember`). */
  readonly memory: RuleMemory<K>;
  /** Replaces fields of the rule's memory (undefined deletes); rolled back if the event is rejected. */
  remember(patch: Partial<MemoryByKind[K]>): void;
  /** The rule fires now with `event`; `why` opens the verdict's reason. */
  fire(event: EngineEvent, clause: RuleClause, why: string): RuleOutcome;
  /** The rule does not fire (this time): which clause decided and why. */
  pass(clause: RuleClause, reason: string): RuleOutcome;
  /** Evaluates the rule's `if` over `event` and the current state; holds when there is none. */
  condition(event: EngineEvent): { holds: true } | { holds: false; reason: string; error: boolean };
}

/** What a partner event did: decided the rule's outcome, or left a note for the trace. */
export type PartnerResult = { outcome: RuleOutcome } | { note: string } | undefined;

/** What a deadline does: only housekeeping (undefined), or fire the rule with an event. */
export type Expiry = undefined | { event: EngineEvent; timerAt: number; why: string };

/** Words the docs sentence is built from (the docs module supplies its own renderings). */
export interface SentenceWords {
  /** The trigger(s), e.g. `checkpoint.scanned` or `a or b`. */
  on: string;
  ref(ref: EventRef): string;
  join(join: JoinExpr): string;
  duration(ms: number): string;
  /** The rule's `if`, or undefined. */
  condition?: string;
}

/** Everything one timing kind means. */
export interface TimingBehaviour<K extends TimingKind> {
  readonly kind: K;
  /** Events the rule observes beyond its `on` triggers: partners and join leaves. */
  partners(timing: TimingOf<K>): EventRef[];
  /** When `if` is checked: as the trigger arrives, at the deadline, or as the join completes. */
  conditionAt(semantics: BehaviourSemantics): 'trigger' | 'deadline' | 'join';
  /** The event in a partner role (called when its type is a partner's); runs before the trigger role. */
  partner?(step: RuleStep<K>, event: EngineEvent): PartnerResult;
  /** The trigger role, once `on`, `match`, `if` (when checked at the trigger) and `once` passed. */
  trigger(step: RuleStep<K>, event: EngineEvent, notes: string): RuleOutcome;
  /** Takes over the whole evaluation (the join matches its own leaves); the machine's trigger steps are skipped. */
  handle?(step: RuleStep<K>, event: EngineEvent): RuleOutcome;
  /** The deadline the memory implies, if any. */
  deadline(timing: TimingOf<K>, memory: RuleMemory<K>): number | undefined;
  /** At the deadline `at`: forget what expired, and say whether the rule fires. */
  expire(step: RuleStep<K>, at: number): Expiry;
  /** Open windows and pending deadlines, in words, for the timers query and `end`'s trace. */
  timers(timing: TimingOf<K>, memory: RuleMemory<K>): Array<{ at: number; what: string }>;
  /** The docs sentence's "When …" part, saying when `if` is checked. */
  sentence(timing: TimingOf<K>, words: SentenceWords): string;
}

/** Matches an event against a reference (type and optional pattern). */
export function refMatch(ref: EventRef, event: EngineEvent): MatchResult {
  if (ref.type !== event.type)
    return { matched: false, path: 'type', reason: `type is "${event.type}", not "${ref.type}"` };
  return ref.match ? matchPattern(ref.match, event) : { matched: true };
}

const ifClause = (words: SentenceWords) => (words.condition === undefined ? '' : `, if \`${words.condition}\``);

const none: TimingBehaviour<'none'> = {
  kind: 'none',
  partners: () => [],
  conditionAt: () => 'trigger',
  trigger: (step, event, notes) => step.fire(event, step.rule.if !== undefined ? 'if' : 'on', `${notes}matched`),
  deadline: () => undefined,
  expire: () => undefined,
  timers: () => [],
  sentence: (_timing, words) => `When ${words.on} arrives${ifClause(words)}`,
};

const throttle: TimingBehaviour<'throttle'> = {
  kind: 'throttle',
  partners: () => [],
  conditionAt: () => 'trigger',
  trigger(step, event, notes) {
    const firedAt = step.memory.firedAt;
    const interval = step.timing.intervalMs;
    if (firedAt !== undefined && step.now < firedAt + interval) {
      const next = showTime(firedAt + interval);
      return step.pass('throttle', `${notes}fired at ${showTime(firedAt)}; next allowed at ${next}`);
    }
    return step.fire(event, 'throttle', `${notes}not fired in the last ${showDuration(interval)}`);
  },
  deadline: () => undefined,
  expire: () => undefined,
  timers: () => [],
  sentence: (timing, words) =>
    `When ${words.on} arrives (at most once every ${words.duration(timing.intervalMs)})${ifClause(words)}`,
};

const within: TimingBehaviour<'within'> = {
  kind: 'within',
  partners: (timing) => [timing.then],
  conditionAt: () => 'trigger',
  partner(step, event) {
    const timing = step.timing;
    const match = refMatch(timing.then, event);
    const window = step.memory.window;
    if (!match.matched) return { note: `did not close a window: ${match.reason}` };
    if (!window || window.until <= step.now) return { note: `no open window for "${timing.then.type}"` };
    step.remember({ window: undefined });
    const waited = showDuration(step.now - window.openedAt);
    return {
      outcome: step.fire(
        event,
        'within',
        `"${event.type}" arrived ${waited} after event ${window.opener.id}, within ${showDuration(timing.windowMs)}`,
      ),
    };
  },
  trigger(step, event, notes) {
    const until = step.now + step.timing.windowMs;
    step.remember({ window: { until, openedAt: step.now, opener: event } });
    return step.pass('within', `${notes}opened a window until ${showTime(until)} for "${step.timing.then.type}"`);
  },
  deadline: (_timing, memory) => memory.window?.until,
  expire(step) {
    step.remember({ window: undefined });
    return undefined;
  },
  timers: (timing, memory) =>
    memory.window
      ? [
          {
            at: memory.window.until,
            what: `window for "${timing.then.type}" opened by event ${memory.window.opener.id} closes`,
          },
        ]
      : [],
  sentence: (timing, words) =>
    `When ${words.on} arrives${words.condition === undefined ? '' : `, if \`${words.condition}\` (checked then),`} and ${words.ref(timing.then)} follows within ${words.duration(timing.windowMs)}`,
};

/** The events that cancel an `unless` deadline (one, or any of several). */
export function cancellers(timing: TimingOf<'unless'>): EventRef[] {
  return Array.isArray(timing.event) ? timing.event : [timing.event];
}

const cancellerTypes = (timing: TimingOf<'unless'>) =>
  cancellers(timing)
    .map((ref) => `"${ref.type}"`)
    .join(' or ');

const unless: TimingBehaviour<'unless'> = {
  kind: 'unless',
  partners: cancellers,
  conditionAt: (semantics) => (semantics.absenceIfAtDeadline ? 'deadline' : 'trigger'),
  partner(step, event) {
    let match: MatchResult = { matched: false, path: 'type', reason: `"${event.type}" does not cancel` };
    for (const ref of cancellers(step.timing)) {
      if (ref.type !== event.type) continue;
      match = refMatch(ref, event);
      if (match.matched) break;
    }
    const pending = step.memory.pending;
    if (!match.matched) return { note: `did not cancel: ${match.reason}` };
    if (!pending) return undefined;
    step.remember({ pending: undefined });
    return { note: `cancelled the deadline of ${showTime(pending.at)} set by event ${pending.event.id}` };
  },
  trigger(step, event, notes) {
    const pending = step.memory.pending;
    if (pending) {
      return step.pass(
        'unless',
        `${notes}deadline of ${showTime(pending.at)} (event ${pending.event.id}) already pending`,
      );
    }
    const at = step.now + step.timing.windowMs;
    step.remember({ pending: { at, since: step.now, event } });
    const condition =
      unless.conditionAt(step.semantics) === 'deadline' && step.rule.if !== undefined
        ? ` and "${step.rule.if}" holds then`
        : '';
    return step.pass(
      'unless',
      `${notes}fires at ${showTime(at)} unless ${cancellerTypes(step.timing)} arrives${condition}`,
    );
  },
  deadline: (_timing, memory) => memory.pending?.at,
  expire(step) {
    const pending = step.memory.pending;
    step.remember({ pending: undefined });
    if (!pending) return undefined;
    const why = `no ${cancellerTypes(step.timing)} within ${showDuration(step.timing.windowMs)} of event ${pending.event.id}`;
    return { event: pending.event, timerAt: pending.at, why };
  },
  timers: (timing, memory) =>
    memory.pending
      ? [
          {
            at: memory.pending.at,
            what: `fires unless ${cancellerTypes(timing)} arrives (deadline set by event ${memory.pending.event.id})`,
          },
        ]
      : [],
  sentence: (timing, words) =>
    `When ${words.on} arrives and ${cancellers(timing)
      .map((ref) => words.ref(ref))
      .join(' or ')} does not follow within ${words.duration(timing.windowMs)}` +
    (words.condition === undefined ? ' (at that deadline)' : `, if \`${words.condition}\` at that deadline`),
};

const debounce: TimingBehaviour<'debounce'> = {
  kind: 'debounce',
  partners: () => [],
  conditionAt: () => 'trigger',
  trigger(step, event, notes) {
    const at = step.now + step.timing.quietMs;
    const since = step.memory.pending?.since ?? step.now;
    step.remember({ pending: { at, since, event } });
    return step.pass('debounce', `${notes}fires at ${showTime(at)} if no other matching event arrives`);
  },
  deadline: (_timing, memory) => memory.pending?.at,
  expire(step) {
    const pending = step.memory.pending;
    step.remember({ pending: undefined });
    if (!pending) return undefined;
    return {
      event: pending.event,
      timerAt: pending.at,
      why: `quiet for ${showDuration(step.timing.quietMs)} since event ${pending.event.id}`,
    };
  },
  timers: (_timing, memory) =>
    memory.pending
      ? [{ at: memory.pending.at, what: `fires after a quiet period (last event ${memory.pending.event.id})` }]
      : [],
  sentence: (timing, words) =>
    words.condition === undefined
      ? `When ${words.on} arrives and then nothing more of it for ${words.duration(timing.quietMs)} (debounced)`
      : `When ${words.on} arrives with \`${words.condition}\` true and then no other such event for ${words.duration(timing.quietMs)} (debounced)`,
};

/** Hits still inside the count window at `now`. */
function liveHits(timing: TimingOf<'count'>, memory: RuleMemory<'count'>, now: number): number[] {
  return (memory.hits ?? []).filter((at) => at + timing.windowMs > now);
}

const countModeWords: Record<CountMode, string> = {
  reset: 'the count starts again after it fires',
  sliding: 'sliding: every further one while that many are in the window fires again',
};

const count: TimingBehaviour<'count'> = {
  kind: 'count',
  partners: () => [],
  conditionAt: () => 'trigger',
  trigger(step, event, notes) {
    const timing = step.timing;
    const hits = [...liveHits(timing, step.memory, step.now), step.now];
    const within = `within ${showDuration(timing.windowMs)}`;
    if (hits.length < timing.count) {
      step.remember({ hits });
      return step.pass('count', `${notes}${hits.length} of ${timing.count} matching events ${within}`);
    }
    // `reset` starts counting again; `sliding` keeps the hits that can still make up the next N.
    const sliding = timing.mode === 'sliding';
    step.remember({ hits: sliding ? hits.slice(hits.length - timing.count + 1) : undefined });
    const how = sliding ? ' (sliding)' : '; the count starts again';
    return step.fire(event, 'count', `${notes}${hits.length} matching events ${within}${how}`);
  },
  deadline: (timing, memory) => (memory.hits?.[0] === undefined ? undefined : memory.hits[0] + timing.windowMs),
  expire(step, at) {
    step.remember({ hits: liveHits(step.timing, step.memory, at) });
    return undefined;
  },
  timers: (timing, memory) =>
    memory.hits?.[0] === undefined
      ? []
      : [
          {
            at: memory.hits[0] + timing.windowMs,
            what: `${memory.hits.length} of ${timing.count} matching events counted; the oldest leaves the window`,
          },
        ],
  sentence: (timing, words) =>
    `When ${timing.count} × ${words.on}${words.condition === undefined ? '' : ` (counting those for which \`${words.condition}\` holds)`} arrive within ${words.duration(timing.windowMs)} (${countModeWords[timing.mode ?? 'reset']})`,
};

/** Join entries still inside the window at `now`. */
function liveJoined(
  timing: TimingOf<'all'>,
  memory: RuleMemory<'all'>,
  now: number,
): Array<[number, number, EngineEvent]> {
  const joined = memory.joined ?? [];
  const windowMs = timing.windowMs;
  return windowMs === undefined ? joined : joined.filter(([, at]) => at + windowMs > now);
}

// Joins belong to immutable compiled configs: flatten each once, not per event.
const leavesOfJoin = new WeakMap<JoinExpr, EventRef[]>();
function leavesOf(join: JoinExpr): EventRef[] {
  let leaves = leavesOfJoin.get(join);
  if (!leaves) leavesOfJoin.set(join, (leaves = joinLeaves(join)));
  return leaves;
}

const all: TimingBehaviour<'all'> = {
  kind: 'all',
  partners: (timing) => leavesOf(timing.join),
  conditionAt: () => 'join',
  trigger: (step) => step.pass('all', 'evaluated by the join'),
  handle(step, event) {
    const timing = step.timing;
    const leaves = leavesOf(timing.join);
    const matched: number[] = [];
    let failure: string | undefined;
    leaves.forEach((leaf, i) => {
      const result = refMatch(leaf, event);
      if (result.matched) matched.push(i);
      else if (leaf.type === event.type) failure ??= result.reason;
    });
    if (matched.length === 0) return step.pass('match', failure ?? `"${event.type}" is not part of the join`);
    const kept = liveJoined(timing, step.memory, step.now).filter(([leaf]) => !matched.includes(leaf));
    const joined: Array<[number, number, EngineEvent]> = [
      ...kept,
      ...matched.map((leaf): [number, number, EngineEvent] => [leaf, step.now, event]),
    ];
    const seen = new Set(joined.map(([leaf]) => leaf));
    if (!joinSatisfied(timing.join, seen)) {
      step.remember({ joined });
      return step.pass('all', `waiting for ${missingLeaves(timing.join, seen).join(', ')}`);
    }
    const condition = step.condition(event);
    if (!condition.holds) {
      step.remember({ joined });
      return step.pass('if', condition.error ? condition.reason : `join complete but ${condition.reason}`);
    }
    const firedAt = step.memory.firedAt;
    if (step.rule.once && firedAt !== undefined)
      return step.pass('once', `already fired at ${showTime(firedAt)} (once)`);
    step.remember({ joined: undefined });
    const window = timing.windowMs === undefined ? '' : ` within ${showDuration(timing.windowMs)}`;
    return step.fire(event, 'all', `join complete${window}`);
  },
  deadline: (timing, memory) =>
    timing.windowMs === undefined || !memory.joined?.length
      ? undefined
      : Math.min(...memory.joined.map(([, at]) => at)) + timing.windowMs,
  expire(step, at) {
    step.remember({ joined: liveJoined(step.timing, step.memory, at) });
    return undefined;
  },
  timers: (timing, memory) => {
    const at = all.deadline(timing, memory);
    return at === undefined ? [] : [{ at, what: 'the oldest event of a partial join leaves the window' }];
  },
  sentence: (timing, words) =>
    `When all of ${words.join(timing.join)} have arrived, in any order${timing.windowMs === undefined ? '' : `, within ${words.duration(timing.windowMs)}`}${words.condition === undefined ? '' : `, if \`${words.condition}\` when the last one arrives`}`,
};

/** The behaviour of every timing kind. */
export const timingBehaviours: { readonly [K in TimingKind]: TimingBehaviour<K> } = {
  none,
  throttle,
  within,
  unless,
  debounce,
  count,
  all,
};

/** The timing kind of a rule (`none` without a timing clause). */
export function kindOf(rule: CompiledRule): TimingKind {
  return rule.timing?.kind ?? 'none';
}

/**
 * The behaviour of a rule's kind, typed for the machine: every behaviour is called with its own rule's timing
 * and memory (the memory's `kind` is checked when it is loaded), which TypeScript cannot follow through a lookup.
 */
export function behaviourOf(rule: CompiledRule): TimingBehaviour<TimingKind> {
  return timingBehaviours[kindOf(rule)] as unknown as TimingBehaviour<TimingKind>;
}
