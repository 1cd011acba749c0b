/**
 * The entity machine: one entity's state, dedupe memory, rule windows and timers, as a plain
 * deterministic class. The entity workflow wraps it (signals → handleEvent, timers → fireDue) and
 * `hunt simulate` drives it with virtual time: both run this same code.
 *
 * Semantics
 * - Dedupe: an accepted event's (source, id) is remembered; the same pair again is a `duplicate`
 *   and changes nothing. Memory is bounded by count (`maxSeen`, oldest forgotten first) and age
 *   (`seenMaxAgeMs`): a re-delivery after that is treated as new. Rejected events are not
 *   remembered, so a re-delivery after a config fix can succeed.
 * - An event is handled atomically: reducers (in arrival order), then the rules indexed for its
 *   type (`rulesByEvent`), in config order. Any failure on the way (reducer, template, `set`
 *   action) rejects the event: state, windows and timers are left exactly as before, so a poison
 *   event cannot wedge the entity. A condition (`if`) that errors only stops its own rule.
 * - Per rule: partner roles first (`within`'s closing event, `unless`'s cancelling event), then the
 *   trigger role: `on` type + `match` pattern → `if` → `once` (checked before timing so no window
 *   opens that could never fire, and again at fire time) → timing:
 *   - none: fires now.
 *   - `throttle`: fires unless it fired less than `intervalMs` ago (per entity).
 *   - `within`: the trigger opens (or re-opens) a window; the partner event arriving while it is
 *     open fires the rule with the partner as the triggering event and closes the window. An
 *     expired window just closes.
 *   - `unless`: the trigger sets a deadline (unless one is pending); the partner event cancels it;
 *     at the deadline the rule fires with the trigger as the triggering event.
 *   - `count`: N matching triggers within a sliding window fire the rule (with the Nth event),
 *     then the count resets.
 *   - `debounce`: fires `quietMs` after the last matching trigger, with that last event.
 *   - `all`: each event matching a join leaf is remembered (latest per leaf, forgotten after the
 *     optional window); when the join holds, `if` and `once` are checked, the rule fires with the
 *     completing event, and the join resets.
 *   `if` is evaluated when the trigger arrives (for `unless`/`debounce` it is not re-checked at the
 *   deadline; put such checks in the partner event or in `once`).
 * - Firing: actions are planned in order with templates rendered over `{ event, data, state,
 *   entity }` (`env.*` left for the activity). `set` actions apply to state at once, so later
 *   actions and later rules see them. `end` ends the entity after the current event: its timers are
 *   dropped and later events are rejected with reason "entity ended". `onFailure` actions are
 *   planned alongside (rendered with the same scope); the workflow runs them only if a call fails,
 *   and their `set`/`end` are not applied by the machine.
 * - Timers due at or before `now` fire before an event at `now` is handled (their firings come
 *   first in the decision), so a late `fireDue` cannot let an event cancel an expired deadline.
 * - Cost: an event touches only the rules indexed for its type, and O(1) dedupe memory; timers
 *   are kept per rule. Nothing scans the entity's history.
 */
import type { CompiledConfig, CompiledRule, EventRef, Json, JsonObject } from '../config/compiled.js';
import { renderAction, idempotencyKey } from './action-planner.js';
import { evaluateCondition } from './conditions.js';
import type { ExpressionScope } from './conditions.js';
import { joinSatisfied, missingLeaves } from './join.js';
import { matchPattern } from './patterns.js';
import type { MatchResult } from './patterns.js';
import { applyReducers } from './reducers.js';
import { configIndex } from './rule-index.js';
import type { ConfigIndex, IndexedRule } from './rule-index.js';
import { entityWorkflowId } from './routing.js';
import type {
  Decision,
  DecisionTrace,
  DeliveryResult,
  EngineEvent,
  EntityRef,
  Firing,
  MachineSnapshot,
  PlannedAction,
  RuleClause,
  RuleVerdict,
} from './types.js';
import { showDuration, showTime } from './wording.js';

export interface MachineOptions {
  /** Most (source, id) pairs remembered for dedupe (default 10,000). */
  maxSeen?: number;
  /** Age after which a seen pair is forgotten (default 7 days). */
  seenMaxAgeMs?: number;
  /** Decision traces kept for `explain` (default 50). */
  maxTraces?: number;
}

/** A rule's memory across events: what `snapshot().rules[ruleId]` holds. */
interface RuleMemory {
  /** Timing kind the memory belongs to; memory of another kind (after a config change) is dropped. */
  kind: string;
  /** Last time the rule fired (for `once` and `throttle`). */
  firedAt?: number;
  /** `within`: the open window. */
  window?: { until: number; openedAt: number; opener: EngineEvent };
  /** `unless` / `debounce`: the pending deadline and the event it fires with. */
  pending?: { at: number; since: number; event: EngineEvent };
  /** `count`: times of the matching events in the window, oldest first. */
  hits?: number[];
  /** `all`: latest event seen per join leaf: [leaf index, time, event]. */
  joined?: Array<[number, number, EngineEvent]>;
}

/** One timer the machine is waiting for. */
export interface MachineTimer {
  ruleId: string;
  at: number;
  what: string;
}

interface RuleOutcome {
  verdict: RuleVerdict;
  firing?: Firing;
}

interface Transaction {
  state: JsonObject;
  memory: Map<string, RuleMemory | undefined>;
}

const DAY = 86_400_000;

function kindOf(rule: CompiledRule): string {
  return rule.timing?.kind ?? 'none';
}

function seenKey(event: Pick<EngineEvent, 'source' | 'id'>): string {
  // JSON keeps the pair unambiguous whatever characters a source or id contains.
  return JSON.stringify([event.source, event.id]);
}

/** Matches an event against a reference (type and optional pattern). */
function refMatch(ref: EventRef, event: EngineEvent): MatchResult {
  if (ref.type !== event.type)
    return { matched: false, path: 'type', reason: `type is "${event.type}", not "${ref.type}"` };
  return ref.match ? matchPattern(ref.match, event) : { matched: true };
}

/** Pure, deterministic state machine of one entity (see the file comment for the semantics). */
export class EntityMachine {
  private readonly index: ConfigIndex;
  private readonly entityScope: JsonObject;
  private readonly maxSeen: number;
  private readonly seenMaxAgeMs: number;
  private readonly maxTraces: number;

  private currentState: JsonObject;
  private readonly seen = new Map<string, number>();
  private readonly memory = new Map<string, RuleMemory>();
  /** Earliest deadline per rule with a pending timer: nextDeadline scans only these. */
  private readonly deadlines = new Map<string, number>();
  private readonly recentTraces: DecisionTrace[];
  private eventCount: number;
  private endedInfo: { at: number; reason?: string } | undefined;

  private tx: Transaction | undefined;
  private endRequest: { reason?: string } | undefined;

  constructor(
    private readonly config: CompiledConfig,
    private readonly entity: EntityRef,
    snapshot?: MachineSnapshot,
    options: MachineOptions = {},
  ) {
    this.index = configIndex(config);
    this.entityScope = { type: entity.type, key: entity.key, id: entityWorkflowId(entity) };
    this.maxSeen = options.maxSeen ?? 10_000;
    this.seenMaxAgeMs = options.seenMaxAgeMs ?? 7 * DAY;
    this.maxTraces = options.maxTraces ?? 50;
    const initial = config.entities[entity.type]?.initial ?? {};
    this.currentState = snapshot?.state ?? initial;
    for (const [key, at] of snapshot?.seen ?? []) this.seen.set(key, at);
    this.recentTraces = [...(snapshot?.traces ?? [])];
    this.eventCount = snapshot?.eventCount ?? 0;
    this.endedInfo = snapshot?.ended;
    for (const [ruleId, saved] of Object.entries(snapshot?.rules ?? {})) {
      const indexed = this.index.rules.get(ruleId);
      const memory = saved as unknown as RuleMemory;
      // A rule removed or re-timed by a new config version starts fresh.
      if (!indexed || memory.kind !== kindOf(indexed.rule)) continue;
      this.memory.set(ruleId, memory);
      this.refreshDeadline(ruleId);
    }
  }

  /** The entity's current state (treat as read-only). */
  get state(): JsonObject {
    return this.currentState;
  }

  /** Events accepted over the entity's life, and when/why it ended: cheap, unlike snapshot(). */
  get summary(): { eventCount: number; ended?: { at: number; reason?: string } } {
    return { eventCount: this.eventCount, ...(this.endedInfo && { ended: this.endedInfo }) };
  }

  /** True once an `end` action ended the entity. */
  get ended(): boolean {
    return this.endedInfo !== undefined;
  }

  /** Feed one event at engine time `now` (ms). Dedupe by (source,id); fold reducers; evaluate rules indexed for its type. */
  handleEvent(event: EngineEvent, now: number): Decision {
    const early = this.fireDue(now);
    const earlyFirings = early.flatMap((d) => d.firings);
    this.forgetOldSeen(now);
    const key = seenKey(event);
    const firstSeen = this.seen.get(key);
    if (firstSeen !== undefined) {
      return this.refuse(event, now, 'duplicate', `already seen at ${showTime(firstSeen)}`, earlyFirings);
    }
    if (this.endedInfo) return this.refuse(event, now, 'rejected', 'entity ended', earlyFirings);
    const eventType = this.config.events[event.type];
    if (!eventType) {
      return this.refuse(
        event,
        now,
        'rejected',
        `unknown event type "${event.type}" in config ${this.config.version}`,
        earlyFirings,
      );
    }

    this.begin();
    const verdicts: RuleVerdict[] = [];
    const firings: Firing[] = [];
    let current: string | undefined;
    try {
      this.currentState = applyReducers(this.currentState, eventType.reduce, this.scope(event));
      for (const indexed of this.index.byType.get(event.type) ?? []) {
        current = indexed.rule.id;
        const outcome = this.evaluateRule(indexed, event, now);
        verdicts.push(outcome.verdict);
        if (outcome.firing) firings.push(outcome.firing);
      }
    } catch (err) {
      this.rollback();
      const message = err instanceof Error ? err.message : String(err);
      // Name the rule whose actions failed (a reducer failure has none), so the rejection explains itself.
      if (current === undefined) return this.refuse(event, now, 'rejected', message, earlyFirings);
      const failed: RuleVerdict = { ruleId: current, fired: false, clause: 'then', reason: message };
      return this.refuse(event, now, 'rejected', `rule ${current}: ${message}`, earlyFirings, [...verdicts, failed]);
    }
    this.commit();
    this.seen.set(key, now);
    if (this.seen.size > this.maxSeen) this.seen.delete(this.seen.keys().next().value as string);
    this.eventCount++;
    const ended = this.applyEnd(now);

    const delivery: DeliveryResult = {
      eventId: event.id,
      source: event.source,
      status: 'accepted',
      fired: firings.map((f) => f.ruleId),
    };
    const trace: DecisionTrace = {
      eventId: event.id,
      eventType: event.type,
      at: now,
      status: 'accepted',
      verdicts,
      cause: 'event',
    };
    this.remember(trace);
    return { delivery, firings: [...earlyFirings, ...firings], trace, ...(ended && { ended: true }) };
  }

  /** Earliest pending deadline (unless/debounce/within expiry/count window housekeeping), or undefined. */
  nextDeadline(): number | undefined {
    let earliest: number | undefined;
    for (const at of this.deadlines.values()) if (earliest === undefined || at < earliest) earliest = at;
    return earliest;
  }

  /** Fire everything due at or before `now`, in deadline order (ties in config order); at most `max` decisions. */
  fireDue(now: number, max = Number.POSITIVE_INFINITY): Decision[] {
    const decisions: Decision[] = [];
    while (decisions.length < max) {
      let due: { ruleId: string; at: number; order: number } | undefined;
      for (const [ruleId, at] of this.deadlines) {
        if (at > now) continue;
        const order = this.index.rules.get(ruleId)?.order ?? 0;
        if (!due || at < due.at || (at === due.at && order < due.order)) due = { ruleId, at, order };
      }
      if (!due) return decisions;
      const decision = this.fireTimer(due.ruleId, due.at);
      if (decision) decisions.push(decision);
    }
    return decisions;
  }

  /** Open windows and pending timers, for queries. */
  timers(): MachineTimer[] {
    const out: MachineTimer[] = [];
    for (const [ruleId, memory] of this.memory) {
      const rule = this.index.rules.get(ruleId)?.rule;
      const timing = rule?.timing;
      if (!timing) continue;
      if (memory.window && timing.kind === 'within') {
        out.push({
          ruleId,
          at: memory.window.until,
          what: `window for "${timing.then.type}" opened by event ${memory.window.opener.id} closes`,
        });
      }
      if (memory.pending && timing.kind === 'unless') {
        out.push({
          ruleId,
          at: memory.pending.at,
          what: `fires unless "${timing.event.type}" arrives (deadline set by event ${memory.pending.event.id})`,
        });
      }
      if (memory.pending && timing.kind === 'debounce') {
        out.push({
          ruleId,
          at: memory.pending.at,
          what: `fires after a quiet period (last event ${memory.pending.event.id})`,
        });
      }
      const oldestHit = memory.hits?.[0];
      if (oldestHit !== undefined && timing.kind === 'count') {
        out.push({
          ruleId,
          at: oldestHit + timing.windowMs,
          what: `${memory.hits?.length ?? 0} of ${timing.count} matching events counted; the oldest leaves the window`,
        });
      }
      if (memory.joined?.length && timing.kind === 'all' && timing.windowMs !== undefined) {
        const oldest = Math.min(...memory.joined.map(([, at]) => at));
        out.push({
          ruleId,
          at: oldest + timing.windowMs,
          what: 'the oldest event of a partial join leaves the window',
        });
      }
    }
    return out.sort((a, b) => a.at - b.at);
  }

  /** The last decision traces (all, or those of one event, including timer firings it caused). */
  traces(eventId?: string): DecisionTrace[] {
    return eventId === undefined ? [...this.recentTraces] : this.recentTraces.filter((t) => t.eventId === eventId);
  }

  /** Plain JSON; `new EntityMachine(config, entity, snapshot)` resumes exactly. */
  snapshot(): MachineSnapshot {
    const rules: Record<string, Json> = {};
    for (const [ruleId, memory] of this.memory) rules[ruleId] = memory as unknown as Json;
    return {
      state: this.currentState,
      seen: [...this.seen.entries()],
      rules,
      traces: [...this.recentTraces],
      eventCount: this.eventCount,
      ...(this.endedInfo && { ended: this.endedInfo }),
    };
  }

  /**
   * Applies an `onFailure` `set` or `end`, which the workflow runs only after a call failed for good.
   * Its values were rendered when the rule fired; a reducer failure throws (ReducerError) and changes nothing.
   */
  applyFallback(planned: PlannedAction, now: number): void {
    const { action } = planned;
    if (action.kind === 'set') {
      const scope: ExpressionScope = { event: {}, data: {}, state: this.currentState, entity: this.entityScope };
      this.currentState = applyReducers(this.currentState, action.reducers, scope);
    } else if (action.kind === 'end') {
      this.endRequest = { ...(action.reason !== undefined && { reason: action.reason }) };
      this.applyEnd(now);
    }
  }

  // ---- rule evaluation -------------------------------------------------------------------------

  private evaluateRule(indexed: IndexedRule, event: EngineEvent, now: number): RuleOutcome {
    const { rule } = indexed;
    const timing = rule.timing;
    const id = rule.id;
    if (timing?.kind === 'all') return this.evaluateJoin(indexed, event, now);
    const notes: string[] = [];

    // Partner roles first: the same event may close a window or cancel a deadline, then start a new one.
    if (timing?.kind === 'within' && timing.then.type === event.type) {
      const match = refMatch(timing.then, event);
      const window = this.memoryOf(rule).window;
      if (!match.matched) notes.push(`did not close a window: ${match.reason}`);
      else if (!window || window.until <= now) notes.push(`no open window for "${timing.then.type}"`);
      else {
        this.updateMemory(rule, { window: undefined });
        const waited = showDuration(now - window.openedAt);
        return this.fireNow(
          indexed,
          event,
          now,
          'within',
          `"${event.type}" arrived ${waited} after event ${window.opener.id}, within ${showDuration(timing.windowMs)}`,
        );
      }
    }
    if (timing?.kind === 'unless' && timing.event.type === event.type) {
      const match = refMatch(timing.event, event);
      const pending = this.memoryOf(rule).pending;
      if (!match.matched) notes.push(`did not cancel: ${match.reason}`);
      else if (pending) {
        this.updateMemory(rule, { pending: undefined });
        notes.push(`cancelled the deadline of ${showTime(pending.at)} set by event ${pending.event.id}`);
      }
    }

    const partnerClause = timing && notes.length > 0 ? timing.kind : undefined;
    const triggerRefs = rule.on.filter((ref) => ref.type === event.type);
    if (triggerRefs.length === 0) {
      return this.verdict(
        id,
        partnerClause ?? 'on',
        notes.join('; ') || `"${event.type}" is not a trigger of this rule`,
      );
    }
    let failed: MatchResult | undefined;
    if (!triggerRefs.some((ref) => (failed = refMatch(ref, event)).matched)) {
      const reason = failed && !failed.matched ? failed.reason : 'no match';
      return this.verdict(id, 'match', [...notes, reason].join('; '));
    }
    if (rule.if !== undefined) {
      let holds: boolean;
      try {
        holds = evaluateCondition(rule.if, this.scope(event));
      } catch (err) {
        return this.verdict(id, 'if', [...notes, err instanceof Error ? err.message : String(err)].join('; '));
      }
      if (!holds) return this.verdict(id, 'if', [...notes, `"${rule.if}" is false`].join('; '));
    }
    const firedAt = this.memoryOf(rule).firedAt;
    if (rule.once && firedAt !== undefined) {
      return this.verdict(id, 'once', [...notes, `already fired at ${showTime(firedAt)} (once)`].join('; '));
    }
    const prefix = notes.length > 0 ? `${notes.join('; ')}; ` : '';

    switch (timing?.kind) {
      case undefined:
        return this.fireNow(indexed, event, now, rule.if !== undefined ? 'if' : 'on', prefix + 'matched');
      case 'throttle': {
        if (firedAt !== undefined && now < firedAt + timing.intervalMs) {
          const next = showTime(firedAt + timing.intervalMs);
          return this.verdict(id, 'throttle', `${prefix}fired at ${showTime(firedAt)}; next allowed at ${next}`);
        }
        return this.fireNow(
          indexed,
          event,
          now,
          'throttle',
          `${prefix}not fired in the last ${showDuration(timing.intervalMs)}`,
        );
      }
      case 'within': {
        const until = now + timing.windowMs;
        this.updateMemory(rule, { window: { until, openedAt: now, opener: event } });
        return this.verdict(
          id,
          'within',
          `${prefix}opened a window until ${showTime(until)} for "${timing.then.type}"`,
        );
      }
      case 'unless': {
        const pending = this.memoryOf(rule).pending;
        if (pending) {
          return this.verdict(
            id,
            'unless',
            `${prefix}deadline of ${showTime(pending.at)} (event ${pending.event.id}) already pending`,
          );
        }
        const at = now + timing.windowMs;
        this.updateMemory(rule, { pending: { at, since: now, event } });
        return this.verdict(id, 'unless', `${prefix}fires at ${showTime(at)} unless "${timing.event.type}" arrives`);
      }
      case 'debounce': {
        const at = now + timing.quietMs;
        const since = this.memoryOf(rule).pending?.since ?? now;
        this.updateMemory(rule, { pending: { at, since, event } });
        return this.verdict(id, 'debounce', `${prefix}fires at ${showTime(at)} if no other matching event arrives`);
      }
      case 'count': {
        const hits = [...this.liveHits(rule, now), now];
        if (hits.length >= timing.count) {
          this.updateMemory(rule, { hits: undefined });
          return this.fireNow(
            indexed,
            event,
            now,
            'count',
            `${prefix}${hits.length} matching events within ${showDuration(timing.windowMs)}`,
          );
        }
        this.updateMemory(rule, { hits });
        return this.verdict(
          id,
          'count',
          `${prefix}${hits.length} of ${timing.count} matching events within ${showDuration(timing.windowMs)}`,
        );
      }
    }
  }

  private evaluateJoin(indexed: IndexedRule, event: EngineEvent, now: number): RuleOutcome {
    const { rule, leaves } = indexed;
    const timing = rule.timing;
    if (timing?.kind !== 'all') throw new Error(`rule ${rule.id} is not a join`);
    const matched: number[] = [];
    let failure: string | undefined;
    leaves.forEach((leaf, i) => {
      const result = refMatch(leaf, event);
      if (result.matched) matched.push(i);
      else if (leaf.type === event.type) failure ??= result.reason;
    });
    if (matched.length === 0)
      return this.verdict(rule.id, 'match', failure ?? `"${event.type}" is not part of the join`);
    const kept = this.liveJoined(rule, now).filter(([leaf]) => !matched.includes(leaf));
    const joined: Array<[number, number, EngineEvent]> = [
      ...kept,
      ...matched.map((leaf): [number, number, EngineEvent] => [leaf, now, event]),
    ];
    const seen = new Set(joined.map(([leaf]) => leaf));
    if (!joinSatisfied(timing.join, seen)) {
      this.updateMemory(rule, { joined });
      return this.verdict(rule.id, 'all', `waiting for ${missingLeaves(timing.join, seen).join(', ')}`);
    }
    if (rule.if !== undefined) {
      let holds: boolean;
      try {
        holds = evaluateCondition(rule.if, this.scope(event));
      } catch (err) {
        this.updateMemory(rule, { joined });
        return this.verdict(rule.id, 'if', err instanceof Error ? err.message : String(err));
      }
      if (!holds) {
        this.updateMemory(rule, { joined });
        return this.verdict(rule.id, 'if', `join complete but "${rule.if}" is false`);
      }
    }
    const firedAt = this.memoryOf(rule).firedAt;
    if (rule.once && firedAt !== undefined)
      return this.verdict(rule.id, 'once', `already fired at ${showTime(firedAt)} (once)`);
    this.updateMemory(rule, { joined: undefined });
    const window = timing.windowMs === undefined ? '' : ` within ${showDuration(timing.windowMs)}`;
    return this.fireNow(indexed, event, now, 'all', `join complete${window}`);
  }

  private verdict(ruleId: string, clause: RuleClause, reason: string): RuleOutcome {
    return { verdict: { ruleId, fired: false, clause, reason } };
  }

  private fireNow(indexed: IndexedRule, event: EngineEvent, now: number, clause: RuleClause, why: string): RuleOutcome {
    const firing = this.fire(indexed.rule, event, now, 'event');
    return {
      verdict: { ruleId: indexed.rule.id, fired: true, clause, reason: `${why} → ${describeFiring(firing)}` },
      firing,
    };
  }

  /** Plans a rule's actions and applies its `set` actions; throws on template/reducer failure. */
  private fire(
    rule: CompiledRule,
    trigger: EngineEvent,
    now: number,
    cause: 'event' | 'timer',
    timerAt?: number,
  ): Firing {
    const actions: PlannedAction[] = [];
    const keyOpts = timerAt === undefined ? {} : { timerAt };
    rule.then.forEach((action, index) => {
      const where = `rule ${rule.id} then[${index}]`;
      const scope = this.scope(trigger);
      if (action.kind === 'set') this.currentState = applyReducers(this.currentState, action.reducers, scope);
      if (action.kind === 'end') this.endRequest = { ...(action.reason !== undefined && { reason: action.reason }) };
      actions.push({
        ruleId: rule.id,
        eventId: trigger.id,
        index,
        idempotencyKey: idempotencyKey(this.entity, trigger.id, rule.id, index, keyOpts),
        action: renderAction(action, scope, where),
      });
    });
    const scope = this.scope(trigger);
    rule.onFailure.forEach((action, index) => {
      actions.push({
        ruleId: rule.id,
        eventId: trigger.id,
        index,
        idempotencyKey: idempotencyKey(this.entity, trigger.id, rule.id, index, { ...keyOpts, onFailure: true }),
        action: renderAction(action, scope, `rule ${rule.id} onFailure[${index}]`),
        onFailure: true,
      });
    });
    // Only `once` and `throttle` need to remember when the rule fired.
    if (rule.once || rule.timing?.kind === 'throttle') this.updateMemory(rule, { firedAt: now });
    return { ruleId: rule.id, eventId: trigger.id, at: now, cause, actions };
  }

  // ---- timers ----------------------------------------------------------------------------------

  private fireTimer(ruleId: string, at: number): Decision | undefined {
    const indexed = this.index.rules.get(ruleId);
    const memory = this.memory.get(ruleId);
    if (!indexed || !memory) {
      this.deadlines.delete(ruleId);
      return undefined;
    }
    const { rule } = indexed;
    const timing = rule.timing;
    switch (timing?.kind) {
      case 'within':
        this.updateMemory(rule, { window: undefined });
        return undefined;
      case 'count':
        this.updateMemory(rule, { hits: this.liveHits(rule, at) });
        return undefined;
      case 'all':
        this.updateMemory(rule, { joined: this.liveJoined(rule, at) });
        return undefined;
      case 'unless':
      case 'debounce':
        break;
      default:
        this.deadlines.delete(ruleId);
        return undefined;
    }
    const pending = memory.pending;
    this.updateMemory(rule, { pending: undefined });
    if (!pending) return undefined;
    const trace = (status: DecisionTrace['status'], verdict: RuleVerdict, reason?: string): DecisionTrace => ({
      eventId: pending.event.id,
      eventType: pending.event.type,
      at,
      status,
      verdicts: [verdict],
      cause: 'timer',
      ...(reason !== undefined && { reason }),
    });
    const why =
      timing.kind === 'unless'
        ? `no "${timing.event.type}" within ${showDuration(timing.windowMs)} of event ${pending.event.id}`
        : `quiet for ${showDuration(timing.quietMs)} since event ${pending.event.id}`;
    if (rule.once && memory.firedAt !== undefined) {
      const verdict: RuleVerdict = {
        ruleId,
        fired: false,
        clause: 'once',
        reason: `${why}, but already fired at ${showTime(memory.firedAt)} (once)`,
      };
      const quiet = trace('accepted', verdict);
      this.remember(quiet);
      return { firings: [], trace: quiet };
    }
    this.begin();
    let firing: Firing;
    try {
      firing = this.fire(rule, pending.event, at, 'timer', pending.at);
    } catch (err) {
      this.rollback();
      const reason = err instanceof Error ? err.message : String(err);
      const failed = trace('rejected', { ruleId, fired: false, clause: 'then', reason }, reason);
      this.remember(failed);
      return { firings: [], trace: failed };
    }
    this.commit();
    const ended = this.applyEnd(at);
    const fired = trace('accepted', {
      ruleId,
      fired: true,
      clause: timing.kind,
      reason: `${why} → ${describeFiring(firing)}`,
    });
    this.remember(fired);
    return { firings: [firing], trace: fired, ...(ended && { ended: true }) };
  }

  private liveHits(rule: CompiledRule, now: number): number[] {
    const timing = rule.timing;
    const hits = this.memoryOf(rule).hits ?? [];
    if (timing?.kind !== 'count') return hits;
    return hits.filter((at) => at + timing.windowMs > now);
  }

  private liveJoined(rule: CompiledRule, now: number): Array<[number, number, EngineEvent]> {
    const timing = rule.timing;
    const joined = this.memoryOf(rule).joined ?? [];
    if (timing?.kind !== 'all' || timing.windowMs === undefined) return joined;
    const windowMs = timing.windowMs;
    return joined.filter(([, at]) => at + windowMs > now);
  }

  // ---- memory, transactions, bookkeeping -------------------------------------------------------

  private memoryOf(rule: CompiledRule): RuleMemory {
    return this.memory.get(rule.id) ?? { kind: kindOf(rule) };
  }

  /** Replaces (never mutates) a rule's memory, so a rollback can restore the previous object. */
  private updateMemory(rule: CompiledRule, patch: Partial<RuleMemory>): void {
    const previous = this.memory.get(rule.id);
    if (this.tx && !this.tx.memory.has(rule.id)) this.tx.memory.set(rule.id, previous);
    const next: RuleMemory = { ...(previous ?? { kind: kindOf(rule) }), ...patch };
    for (const key of Object.keys(next) as Array<keyof RuleMemory>) {
      const value = next[key];
      if (value === undefined || (Array.isArray(value) && value.length === 0)) delete next[key];
    }
    if (Object.keys(next).length === 1) this.memory.delete(rule.id);
    else this.memory.set(rule.id, next);
    this.refreshDeadline(rule.id);
  }

  private refreshDeadline(ruleId: string): void {
    const memory = this.memory.get(ruleId);
    const timing = this.index.rules.get(ruleId)?.rule.timing;
    let at: number | undefined;
    if (memory && timing) {
      if (timing.kind === 'within') at = memory.window?.until;
      else if (timing.kind === 'unless' || timing.kind === 'debounce') at = memory.pending?.at;
      else if (timing.kind === 'count' && memory.hits?.[0] !== undefined) at = memory.hits[0] + timing.windowMs;
      else if (timing.kind === 'all' && timing.windowMs !== undefined && memory.joined?.length) {
        at = Math.min(...memory.joined.map(([, t]) => t)) + timing.windowMs;
      }
    }
    if (at === undefined) this.deadlines.delete(ruleId);
    else this.deadlines.set(ruleId, at);
  }

  private begin(): void {
    this.tx = { state: this.currentState, memory: new Map() };
    this.endRequest = undefined;
  }

  private commit(): void {
    this.tx = undefined;
  }

  private rollback(): void {
    const tx = this.tx;
    this.tx = undefined;
    this.endRequest = undefined;
    if (!tx) return;
    this.currentState = tx.state;
    for (const [ruleId, previous] of tx.memory) {
      if (previous) this.memory.set(ruleId, previous);
      else this.memory.delete(ruleId);
      this.refreshDeadline(ruleId);
    }
  }

  /** Ends the entity if an `end` action asked to; returns true when it did. */
  private applyEnd(now: number): boolean {
    const request = this.endRequest;
    this.endRequest = undefined;
    if (!request || this.endedInfo) return false;
    this.endedInfo = { at: now, ...(request.reason !== undefined && { reason: request.reason }) };
    // An ended entity fires nothing more: its windows and timers go.
    this.memory.clear();
    this.deadlines.clear();
    return true;
  }

  private scope(event: EngineEvent): ExpressionScope {
    return { event: event as unknown as Json, data: event.data, state: this.currentState, entity: this.entityScope };
  }

  private forgetOldSeen(now: number): void {
    for (const [key, at] of this.seen) {
      if (at + this.seenMaxAgeMs > now) return;
      this.seen.delete(key);
    }
  }

  private refuse(
    event: EngineEvent,
    now: number,
    status: 'duplicate' | 'rejected',
    reason: string,
    firings: Firing[],
    verdicts: RuleVerdict[] = [],
  ): Decision {
    const trace: DecisionTrace = {
      eventId: event.id,
      eventType: event.type,
      at: now,
      status,
      verdicts,
      reason,
      cause: 'event',
    };
    this.remember(trace);
    return { delivery: { eventId: event.id, source: event.source, status, reason, fired: [] }, firings, trace };
  }

  private remember(trace: DecisionTrace): void {
    this.recentTraces.push(trace);
    if (this.recentTraces.length > this.maxTraces)
      this.recentTraces.splice(0, this.recentTraces.length - this.maxTraces);
  }
}

/** A firing's actions in a few words, e.g. `call mailer, set paid, end`. */
function describeFiring(firing: Firing): string {
  const parts = firing.actions
    .filter((planned) => !planned.onFailure)
    .map(({ action }) => {
      switch (action.kind) {
        case 'call':
          return `call ${action.connector}`;
        case 'emit':
          return `emit ${action.type}`;
        case 'set':
          return `set ${action.reducers.map((r) => r.path).join(', ')}`;
        case 'end':
          return 'end the entity';
      }
    });
  return parts.length > 0 ? parts.join(', ') : 'no actions';
}
