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
 *   type (`rulesByEvent`), in config order. An event that reaches several entities (`alsoReaches`)
 *   runs, in each, that entity's reducers and only the rules that run in it (src/rules/event-reach.ts). Any failure on the way (reducer, template, `set`
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
 *     at the deadline `if` is checked (state then, the trigger as `event`) and the rule fires with
 *     the trigger as the triggering event.
 *   - `count`: N matching triggers within the window fire the rule (with the Nth event); then the
 *     count resets (`mode: reset`, the default) or keeps sliding (`mode: sliding`: each further
 *     match while N are in the window fires again).
 *   - `debounce`: fires `quietMs` after the last matching trigger, with that last event.
 *   - `all`: each event matching a join leaf is remembered (latest per leaf, forgotten after the
 *     optional window); when the join holds, `if` and `once` are checked, the rule fires with the
 *     completing event, and the join resets.
 *   Except for `unless` and `all`, `if` is evaluated when the trigger arrives (a `debounce` deadline
 *   is set only by triggers for which it holds, and is not re-checked at the deadline).
 *   Runs that started before these meanings were fixed keep the old ones (LanguageSemantics).
 * - Firing: actions are planned in order with templates rendered over `{ event, data, state,
 *   entity }` (`env.*` left for the activity). `set` actions apply to state at once, so later
 *   actions and later rules see them. `end` ends the entity after the current event: actions after
 *   it in the same `then` are not planned, its timers are dropped (each one named in the trace, clause
 *   `end`) and later events are rejected with reason "entity ended". `onFailure` actions are
 *   planned alongside (rendered with the same scope); the workflow runs them only if a call fails,
 *   and their `set`/`end` are not applied by the machine.
 * - Timers due at or before `now` fire before an event at `now` is handled (their firings come
 *   first in the decision), so a late `fireDue` cannot let an event cancel an expired deadline.
 * - Cost: an event touches only the rules indexed for its type, and O(1) dedupe memory; timers
 *   are kept per rule. Nothing scans the entity's history.
 */
import type { CompiledConfig, CompiledRule, Json, JsonObject } from '../config/compiled.js';
import { renderAction, idempotencyKey } from './action-planner.js';
import { recordsResult, resultScope } from './call-result.js';
import type { CallResults } from './call-result.js';
import { evaluateCondition } from './conditions.js';
import type { ExpressionScope } from './conditions.js';
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
import { reachesSeveral, reducersFor } from './event-reach.js';
import { behaviourOf, kindOf, refMatch } from './timing-behaviours.js';
import type { RuleMemory, RuleOutcome, RuleStep, TimingKind } from './timing-behaviours.js';
import { showTime } from './wording.js';

/**
 * Meanings of the language that changed while entities were running. The machine is pure, so it cannot ask
 * Temporal's `patched()`: the entity workflow decides them per run and passes them in. Offline tools (the
 * simulator, `hunt docs`) use the current meanings, `CURRENT_SEMANTICS`.
 */
export interface LanguageSemantics {
  /** `unless` + `if`: the condition is evaluated at the deadline (else: when the trigger arrives). */
  absenceIfAtDeadline: boolean;
  /** An `end` action stops its rule's later `then` actions (else: they are still planned and run). */
  endStopsActions: boolean;
  /**
   * A `call` with `result` records its outcome as an event, and the rule's later actions wait for it (rendered when
   * they run, reading `result`). Else `result` is ignored, as before issue 22. Optional: absent means on.
   */
  callResults?: boolean;
}

/** The language as documented: what new entity runs, the simulator and the docs use. */
export const CURRENT_SEMANTICS: LanguageSemantics = {
  absenceIfAtDeadline: true,
  endStopsActions: true,
  callResults: true,
};
/** The language before issue 16's fixes: what runs that started earlier keep while they replay. */
export const LEGACY_SEMANTICS: LanguageSemantics = {
  absenceIfAtDeadline: false,
  endStopsActions: false,
  callResults: false,
};

/** What `explain` says about a rule that was paused when an event came. */
const PAUSED_REASON = (ruleId: string): string =>
  `the rule is paused (hunt rules resume ${ruleId}): it neither fires nor arms timers; replay missed firings with hunt replay --rules ${ruleId}`;

export interface MachineOptions {
  /** Language meanings that changed over time (default CURRENT_SEMANTICS); see LanguageSemantics. */
  semantics?: LanguageSemantics;
  /** Most (source, id) pairs remembered for dedupe (default 10,000). */
  maxSeen?: number;
  /** Age after which a seen pair is forgotten (default 7 days). */
  seenMaxAgeMs?: number;
  /** Decision traces kept for `explain` (default 50). */
  maxTraces?: number;
}

/** One timer the machine is waiting for. */
export interface MachineTimer {
  ruleId: string;
  at: number;
  what: string;
}

interface Transaction {
  state: JsonObject;
  memory: Map<string, StoredMemory | undefined>;
}

/** A rule's memory as stored: the fields of its kind's memory (MemoryByKind), which only its behaviour reads. */
type StoredMemory = RuleMemory & { [field: string]: unknown };

const DAY = 86_400_000;

function seenKey(event: Pick<EngineEvent, 'source' | 'id'>): string {
  // JSON keeps the pair unambiguous whatever characters a source or id contains.
  return JSON.stringify([event.source, event.id]);
}

/** Pure, deterministic state machine of one entity (see the file comment for the semantics). */
export class EntityMachine {
  private readonly index: ConfigIndex;
  private readonly entityScope: JsonObject;
  private readonly maxSeen: number;
  private readonly seenMaxAgeMs: number;
  private readonly maxTraces: number;
  private readonly semantics: LanguageSemantics;

  private currentState: JsonObject;
  private readonly seen = new Map<string, number>();
  private readonly memory = new Map<string, StoredMemory>();
  /** Earliest deadline per rule with a pending timer: nextDeadline scans only these. */
  private readonly deadlines = new Map<string, number>();
  /** Rules paused by an operator (`hunt rules pause`): not evaluated, no memory, no timers. */
  private paused: ReadonlySet<string> = new Set();
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
    this.semantics = options.semantics ?? CURRENT_SEMANTICS;
    const initial = config.entities[entity.type]?.initial ?? {};
    this.currentState = snapshot?.state ?? initial;
    for (const [key, at] of snapshot?.seen ?? []) this.seen.set(key, at);
    this.recentTraces = [...(snapshot?.traces ?? [])];
    this.eventCount = snapshot?.eventCount ?? 0;
    this.endedInfo = snapshot?.ended;
    for (const [ruleId, saved] of Object.entries(snapshot?.rules ?? {})) {
      const indexed = this.index.rules.get(ruleId);
      const memory = saved as unknown as StoredMemory;
      // A rule removed or re-timed by a new config version starts fresh.
      if (!indexed || memory.kind !== kindOf(indexed.rule)) continue;
      this.memory.set(ruleId, memory);
      this.refreshDeadline(ruleId);
    }
  }

  /**
   * Pauses exactly `ruleIds` (issue 18). A rule paused now forgets its windows, counts and pending timers (it
   * neither fires nor arms timers while paused) and starts afresh when resumed; events still fold into state.
   */
  pauseRules(ruleIds: Iterable<string>): void {
    const next = new Set([...ruleIds].filter((id) => this.index.rules.has(id)));
    for (const id of next) {
      if (this.paused.has(id)) continue;
      this.memory.delete(id);
      this.deadlines.delete(id);
    }
    this.paused = next;
  }

  /** The rules paused in this entity. */
  get pausedRules(): string[] {
    return [...this.paused];
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
      this.currentState = applyReducers(this.currentState, reducersFor(eventType, this.entity.type), this.scope(event));
      for (const indexed of this.index.byType.get(event.type) ?? []) {
        // An event that reaches several entities runs, in each, only the rules that run there.
        if (reachesSeveral(eventType) && indexed.entity !== this.entity.type) continue;
        current = indexed.rule.id;
        if (this.paused.has(current)) {
          verdicts.push({ ruleId: current, fired: false, clause: 'paused', reason: PAUSED_REASON(current) });
          continue;
        }
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
    const cancelled = this.applyEnd(now);
    const ended = cancelled !== undefined;
    if (cancelled) verdicts.push(...cancelled);

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
      if (!rule) continue;
      for (const timer of behaviourOf(rule).timers(rule.timing, memory)) out.push({ ruleId, ...timer });
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
      const cancelled = this.applyEnd(now);
      if (cancelled && cancelled.length > 0) {
        this.remember({
          eventId: planned.eventId,
          eventType: `onFailure of ${planned.ruleId}`,
          at: now,
          status: 'accepted',
          verdicts: cancelled,
          cause: 'timer',
        });
      }
    }
  }

  // ---- rule evaluation -------------------------------------------------------------------------

  /**
   * The steps every kind shares — partner role, `on`/`match`, `if` (when checked at the trigger), `once` — around
   * the rule's behaviour, which owns its timing.
   */
  private evaluateRule(indexed: IndexedRule, event: EngineEvent, now: number): RuleOutcome {
    const { rule } = indexed;
    const id = rule.id;
    const behaviour = behaviourOf(rule);
    const step = this.step(indexed, now);
    if (behaviour.handle) return behaviour.handle(step, event);
    const notes: string[] = [];

    // Partner roles first: the same event may close a window or cancel a deadline, then start a new one.
    if (behaviour.partner && behaviour.partners(rule.timing).some((ref) => ref.type === event.type)) {
      const result = behaviour.partner(step, event);
      if (result && 'outcome' in result) return result.outcome;
      if (result) notes.push(result.note);
    }

    const partnerClause = rule.timing && notes.length > 0 ? rule.timing.kind : undefined;
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
    if (behaviour.conditionAt(this.semantics) === 'trigger') {
      const condition = this.checkCondition(rule, event);
      if (!condition.holds) return this.verdict(id, 'if', [...notes, condition.reason].join('; '));
    }
    const firedAt = this.memoryOf(rule).firedAt;
    if (rule.once && firedAt !== undefined) {
      return this.verdict(id, 'once', [...notes, `already fired at ${showTime(firedAt)} (once)`].join('; '));
    }
    return behaviour.trigger(step, event, notes.length > 0 ? `${notes.join('; ')}; ` : '');
  }

  /** What a behaviour may see and do while it evaluates its rule. */
  private step(indexed: IndexedRule, now: number): RuleStep<TimingKind> {
    const { rule } = indexed;
    const memoryOf = () => this.memoryOf(rule);
    return {
      rule,
      timing: rule.timing,
      now,
      semantics: this.semantics,
      get memory() {
        return memoryOf();
      },
      remember: (patch) => this.updateMemory(rule, patch),
      fire: (event, clause, why) => this.fireNow(indexed, event, now, clause, why),
      pass: (clause, reason) => this.verdict(rule.id, clause, reason),
      condition: (event) => this.checkCondition(rule, event),
    };
  }

  private checkCondition(
    rule: CompiledRule,
    event: EngineEvent,
  ): { holds: true } | { holds: false; reason: string; error: boolean } {
    if (rule.if === undefined) return { holds: true };
    try {
      return evaluateCondition(rule.if, this.scope(event))
        ? { holds: true }
        : { holds: false, reason: `"${rule.if}" is false`, error: false };
    } catch (err) {
      return { holds: false, reason: err instanceof Error ? err.message : String(err), error: true };
    }
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
    // After a call that records its result, actions wait for it: planned as written, rendered when they run.
    let deferred = false;
    for (const [index, action] of rule.then.entries()) {
      const where = `rule ${rule.id} then[${index}]`;
      const scope = this.scope(trigger);
      if (action.kind === 'set' && !deferred)
        this.currentState = applyReducers(this.currentState, action.reducers, scope);
      // The entity ends after this action: what is written after `end` does not run (lint flags it).
      const stop = action.kind === 'end' && this.semantics.endStopsActions;
      if (action.kind === 'end' && !deferred)
        this.endRequest = { ...(action.reason !== undefined && { reason: action.reason }) };
      actions.push({
        ruleId: rule.id,
        eventId: trigger.id,
        index,
        idempotencyKey: idempotencyKey(this.entity, trigger.id, rule.id, index, keyOpts),
        action: deferred ? action : renderAction(action, scope, where),
        ...(deferred && { deferred: true }),
      });
      if (stop) break;
      if (this.semantics.callResults === true && recordsResult(action)) deferred = true;
    }
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
    return { ruleId: rule.id, eventId: trigger.id, at: now, cause, actions, ...(deferred && { trigger }) };
  }

  /**
   * Readies an action planned after a call with `result` (`deferred`): renders its templates over the triggering
   * event, the state now and the calls' results (`result`, `results`), and applies a `set` or `end` at once, as a
   * rule's own `set`/`end` are applied when it fires. Throws (TemplateError, ReducerError) and changes nothing when
   * it cannot; the workflow dead-letters the action then.
   */
  continueAction(
    planned: PlannedAction,
    trigger: EngineEvent,
    results: CallResults | undefined,
    now: number,
  ): PlannedAction {
    const scope: ExpressionScope = { ...this.scope(trigger), ...resultScope(results) };
    const action = renderAction(planned.action, scope, `rule ${planned.ruleId} then[${planned.index}]`);
    if (action.kind === 'set') this.currentState = applyReducers(this.currentState, action.reducers, scope);
    if (action.kind === 'end') {
      this.endRequest = { ...(action.reason !== undefined && { reason: action.reason }) };
      const cancelled = this.applyEnd(now);
      if (cancelled && cancelled.length > 0) {
        this.remember({
          eventId: planned.eventId,
          eventType: `then of ${planned.ruleId}`,
          at: now,
          status: 'accepted',
          verdicts: cancelled,
          cause: 'timer',
        });
      }
    }
    const { deferred: _deferred, ...ready } = planned;
    return { ...ready, action };
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
    const behaviour = behaviourOf(rule);
    const expiry = behaviour.expire(this.step(indexed, at), at);
    if (!expiry) {
      // Housekeeping only (a window closed, a count or join entry left the window); a deadline no memory
      // implies any more is dropped so fireDue cannot loop on it.
      if (this.deadlines.get(ruleId) === at) this.deadlines.delete(ruleId);
      return undefined;
    }
    const { event, why } = expiry;
    const clause = rule.timing?.kind ?? 'on';
    const trace = (status: DecisionTrace['status'], verdict: RuleVerdict, reason?: string): DecisionTrace => ({
      eventId: event.id,
      eventType: event.type,
      at,
      status,
      verdicts: [verdict],
      cause: 'timer',
      ...(reason !== undefined && { reason }),
    });
    const quiet = (verdict: RuleVerdict): Decision => {
      const quietTrace = trace('accepted', verdict);
      this.remember(quietTrace);
      return { firings: [], trace: quietTrace };
    };
    if (rule.once && memory.firedAt !== undefined) {
      const reason = `${why}, but already fired at ${showTime(memory.firedAt)} (once)`;
      return quiet({ ruleId, fired: false, clause: 'once', reason });
    }
    if (behaviour.conditionAt(this.semantics) === 'deadline') {
      // The condition sees the state at the deadline, with the triggering event as `event`.
      const condition = this.checkCondition(rule, event);
      if (!condition.holds) {
        const reason = condition.error ? condition.reason : `${condition.reason} at the deadline`;
        return quiet({ ruleId, fired: false, clause: 'if', reason: `${why}, but ${reason}` });
      }
    }
    this.begin();
    let firing: Firing;
    try {
      firing = this.fire(rule, event, at, 'timer', expiry.timerAt);
    } catch (err) {
      this.rollback();
      const reason = err instanceof Error ? err.message : String(err);
      const failed = trace('rejected', { ruleId, fired: false, clause: 'then', reason }, reason);
      this.remember(failed);
      return { firings: [], trace: failed };
    }
    this.commit();
    const cancelled = this.applyEnd(at);
    const fired = trace('accepted', { ruleId, fired: true, clause, reason: `${why} → ${describeFiring(firing)}` });
    if (cancelled) fired.verdicts.push(...cancelled);
    this.remember(fired);
    return { firings: [firing], trace: fired, ...(cancelled && { ended: true }) };
  }

  // ---- memory, transactions, bookkeeping -------------------------------------------------------

  private memoryOf(rule: CompiledRule): StoredMemory {
    return this.memory.get(rule.id) ?? { kind: kindOf(rule) };
  }

  /** Replaces (never mutates) a rule's memory, so a rollback can restore the previous object. */
  private updateMemory(rule: CompiledRule, patch: { [field: string]: unknown }): void {
    const previous = this.memory.get(rule.id);
    if (this.tx && !this.tx.memory.has(rule.id)) this.tx.memory.set(rule.id, previous);
    const next: StoredMemory = { ...(previous ?? { kind: kindOf(rule) }), ...patch };
    for (const key of Object.keys(next)) {
      const value = next[key];
      if (value === undefined || (Array.isArray(value) && value.length === 0)) delete next[key];
    }
    if (Object.keys(next).length === 1) this.memory.delete(rule.id);
    else this.memory.set(rule.id, next);
    this.refreshDeadline(rule.id);
  }

  private refreshDeadline(ruleId: string): void {
    const memory = this.memory.get(ruleId);
    const rule = this.index.rules.get(ruleId)?.rule;
    const at = memory && rule ? behaviourOf(rule).deadline(rule.timing, memory) : undefined;
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

  /**
   * Ends the entity if an `end` action asked to. Returns undefined when it did not, else one verdict per
   * window or deadline the end cancelled (clause `end`), so the trace explains them like any cancellation.
   */
  private applyEnd(now: number): RuleVerdict[] | undefined {
    const request = this.endRequest;
    this.endRequest = undefined;
    if (!request || this.endedInfo) return undefined;
    this.endedInfo = { at: now, ...(request.reason !== undefined && { reason: request.reason }) };
    const because = request.reason === undefined ? 'the entity ended' : `the entity ended (${request.reason})`;
    const cancelled = this.timers().map((timer): RuleVerdict => ({
      ruleId: timer.ruleId,
      fired: false,
      clause: 'end',
      reason: `cancelled: ${timer.what} at ${showTime(timer.at)}; ${because}`,
    }));
    // An ended entity fires nothing more: its windows and timers go.
    this.memory.clear();
    this.deadlines.clear();
    return cancelled;
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
        case 'start':
          return `start ${action.workflow}`;
        case 'signal':
          return `signal ${action.signal}`;
        case 'set':
          return `set ${action.reducers.map((r) => r.path).join(', ')}`;
        case 'end':
          return 'end the entity';
      }
    });
  return parts.length > 0 ? parts.join(', ') : 'no actions';
}
