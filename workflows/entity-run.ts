/**
 * One run of an entity workflow, as a plain class (the shape of Temporal's safe-message-handlers sample):
 * the inbox of delivered events, how it is drained, when the run parks and wakes, and when it continues
 * as new. `entity-workflow.ts` only wires Temporal's signals, updates and queries to it.
 *
 * Decisions, in the order a run makes them (the order is part of replay; see the patch ids):
 * - Deliveries (signal or `publish` update) go to the inbox in arrival order, after the events the
 *   previous run carried over. While the main loop is parked, a delivery is handled in its handler
 *   (INLINE_DELIVERY_PATCH); otherwise the loop wakes and drains.
 * - The loop fires due deadlines first, then continues as new when the run is at its bound (or a
 *   migrate was asked), then ends the entity once an `end` has lingered, else parks until the next
 *   deadline, a delivery, or a bound.
 * - Before continuing as new, every waiting update is answered, handlers finish, and (behind
 *   HANDLE_INBOX_BEFORE_CONTINUE_PATCH) every event already signalled is handled.
 */
import { allHandlersFinished, condition, log, workflowInfo } from '@temporalio/workflow';
import type { RunPatches } from './run-patches.js';
import type { CompiledConfig } from '../src/config/compiled.js';
import { CURRENT_SEMANTICS, EntityMachine, LEGACY_SEMANTICS } from '../src/rules/entity-machine.js';
import type { DeliveryResult, EngineEvent, EntityRef, Firing } from '../src/rules/types.js';
import { ActionRunner } from './action-runner.js';
import type {
  CarriedRunStart,
  CarriedState,
  DeadLetter,
  EntityView,
  EntityWorkflowInput,
  RecentEvent,
} from '../src/contract/messages.js';
import { VisibilityPublisher } from './visibility.js';
import { workflowNow } from './workflow-time.js';

/** Continue as new before this many events in one run (the server's hard limit is 10,000 signals). */
export const MAX_EVENTS_PER_RUN = 2_000;
/** Continue as new before history reaches this many events, whatever `continueAsNewSuggested` says. */
export const MAX_HISTORY_PER_RUN = 8_000;
/** Patch id: a run stops handling signalled events at its bound and carries the rest to the next run. */
export const BOUNDED_RUNS_PATCH = 'bounded-runs-carry-inbox';
/**
 * Patch id: while the main loop waits, a delivered event is handled in its signal or update handler
 * (as raw Temporal code would), instead of waking the loop. Same commands for a lone delivery; fewer
 * timer restarts and workflow promises per event (each costs the SDK a captured stack trace).
 */
export const INLINE_DELIVERY_PATCH = 'inline-delivery';
/**
 * Patch id: before continuing as new, a run handles every event already signalled to it instead of
 * carrying the ones past its bound. A continue-as-new input over the server's 2 MB limit is refused,
 * which would stop the entity; the signals are in this run's history already.
 */
export const HANDLE_INBOX_BEFORE_CONTINUE_PATCH = 'handle-inbox-before-continue-as-new';
/**
 * Patch id: the language as documented (issue 16). An `unless` rule's `if` is checked at the deadline, not when
 * the trigger arrives; actions written after `end` in the same `then` are not run. Runs without it keep the old
 * meanings (LEGACY_SEMANTICS), so their commands replay unchanged.
 */
export const LANGUAGE_SEMANTICS_PATCH = 'language-semantics-16';
/**
 * Patch id: an idle entity whose run holds a long history continues as new (a snapshot: state, dedupe memory,
 * windows, timers and dead letters carried), so its next event — often to a worker that no longer caches it —
 * replays a short history instead of the whole run.
 */
export const COMPACT_WHEN_IDLE_PATCH = 'compact-when-idle';
/**
 * Patch id: a `call` with `result` records its outcome as an event of the entity (`<connector>.responded` /
 * `.failed`), folded and evaluated like a delivered one, and the rule's later actions run rendered over it (issue
 * 22). Asked only by runs whose config has such a call, so other entities' histories carry no marker.
 */
export const RESULT_EVENTS_PATCH = 'actions-result-events';
/**
 * Patch id: `start` and `signal` actions reach Temporal, and a started workflow's outcome comes back as an event
 * (watches carried across continue-as-new). Asked only by runs whose config has such an action.
 */
export const WORKFLOW_ACTIONS_PATCH = 'actions-workflow-actions';
/** Default idle time before compaction (an entity's `compaction.whenIdle` overrides it). */
export const DEFAULT_COMPACT_IDLE_MS = 10 * 60 * 1_000;
/** Default least history length worth compacting (an entity's `compaction.minHistory` overrides it). */
export const DEFAULT_COMPACT_MIN_HISTORY = 100;
/** How many recent events and firings queries keep. */
const RECENT_LIMIT = 100;
/** After an `end` action, the workflow lingers this long to answer late and re-delivered events (as rejected/duplicate). */
export const ENDED_LINGER_MS = 24 * 60 * 60 * 1_000;

export interface EntityOutcome {
  ended: { at: number; reason?: string };
  eventCount: number;
  configVersion: string;
}

/** How a run finished: the entity ended (the workflow completes), or the run continues as new. */
export type RunEnd = { kind: 'ended'; outcome: EntityOutcome } | { kind: 'continue-as-new'; next: EntityWorkflowInput };

interface InboxItem {
  event: EngineEvent;
  /** Set for `publish` (update) deliveries: the caller waits for the result. */
  resolve?: (result: DeliveryResult) => void;
}

interface Loaded {
  config: CompiledConfig;
  machine: EntityMachine;
  runner: ActionRunner;
  visibility: VisibilityPublisher;
}

/** A carried state that is not one: a run must not guess an entity's state, so its workflow task retries. */
export class CarriedStateError extends Error {
  override readonly name = 'CarriedStateError';
  readonly code = 'CARRIED_STATE_INVALID';
}

/** What was carried into a run is not what a run hands on: the task fails and retries, the entity waits. */
function malformed(what: string, workflowId: string, problems: string[]): CarriedStateError {
  return new CarriedStateError(
    `The ${what} carried into ${workflowId} is malformed (${problems.join('; ')}). The workflow task fails and ` +
      'retries, so the entity waits with its history intact; reset the workflow to its previous run, or deploy a fix.',
  );
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Throws CarriedStateError when what the previous run carried is not shaped like a CarriedState. */
export function checkCarriedState(carried: unknown, workflowId: string): asserts carried is CarriedState | undefined {
  if (carried === undefined) return;
  const problems: string[] = [];
  if (!isObject(carried)) problems.push('it is not an object');
  else {
    const machine = carried.machine;
    if (!isObject(machine)) problems.push('machine is not an object');
    else {
      if (!isObject(machine.state)) problems.push('machine.state is not an object');
      if (!Array.isArray(machine.seen)) problems.push('machine.seen is not an array');
      if (!isObject(machine.rules)) problems.push('machine.rules is not an object');
      if (!Array.isArray(machine.traces)) problems.push('machine.traces is not an array');
      if (typeof machine.eventCount !== 'number') problems.push('machine.eventCount is not a number');
    }
    for (const list of ['deadLetters', 'pendingFirings', 'recentEvents'] as const) {
      if (!Array.isArray(carried[list])) problems.push(`${list} is not an array`);
    }
    if (carried.inbox !== undefined && !Array.isArray(carried.inbox)) problems.push('inbox is not an array');
  }
  if (problems.length > 0) throw malformed('state', workflowId, problems);
}

/** Throws CarriedStateError when the start the previous run handed on (CARRY_RUN_START_PATCH) is not one. */
export function checkCarriedStart(start: unknown, workflowId: string): asserts start is CarriedRunStart | undefined {
  if (start === undefined) return;
  const problems: string[] = [];
  if (!isObject(start)) problems.push('it is not an object');
  else {
    const { config, pausedRules } = start;
    if (!isObject(config)) problems.push('config is not an object');
    else {
      if (typeof config.version !== 'string') problems.push('config.version is not a string');
      if (!Array.isArray(config.rules)) problems.push('config.rules is not an array');
    }
    if (!Array.isArray(pausedRules) || pausedRules.some((id) => typeof id !== 'string'))
      problems.push('pausedRules is not a list of rule ids');
  }
  if (problems.length > 0) throw malformed('run start', workflowId, problems);
}

/**
 * A stable per-entity delay in [0, idleMs / 4): entities that went quiet together (the end of a campaign, a
 * deploy) compact spread over a quarter of the idle time instead of all at once. FNV-1a of the workflow id.
 */
export function compactionJitter(workflowId: string, idleMs: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < workflowId.length; i++) {
    hash ^= workflowId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return Math.floor((hash / 0x1_0000_0000) * (idleMs / 4));
}

/** Delivered batches come from outside the workflow (signals carry no validator): keep what is an event. */
function wellFormedEvents(batch: unknown): EngineEvent[] {
  const events = (batch as { events?: unknown } | null | undefined)?.events;
  if (!Array.isArray(events)) {
    log.warn('delivery ignored: it holds no list of events', {});
    return [];
  }
  const kept = events.filter(
    (e): e is EngineEvent =>
      e !== null &&
      typeof e === 'object' &&
      typeof (e as EngineEvent).id === 'string' &&
      typeof (e as EngineEvent).source === 'string' &&
      typeof (e as EngineEvent).type === 'string',
  );
  if (kept.length < events.length) {
    log.warn('malformed events in a delivery ignored (no string id, source and type)', {
      ignored: events.length - kept.length,
    });
  }
  return kept;
}

/** Why a `publish` batch is refused before Temporal accepts it; undefined when it is well formed. */
export function publishProblem(batch: unknown): string | undefined {
  const events = (batch as { events?: unknown } | null | undefined)?.events;
  if (!Array.isArray(events) || events.length === 0)
    return 'a publish carries { events: [...] } with at least one event';
  for (const [i, e] of events.entries()) {
    const event = e as Partial<EngineEvent> | null;
    if (event === null || typeof event !== 'object') return `events[${i}] is not an object`;
    for (const field of ['id', 'source', 'type'] as const) {
      if (typeof event[field] !== 'string' || event[field].length === 0)
        return `events[${i}].${field} must be a non-empty string`;
    }
  }
  return undefined;
}

/** Whether any rule of the config starts or signals a workflow (only such runs ask for WORKFLOW_ACTIONS_PATCH). */
function usesWorkflowActions(config: CompiledConfig): boolean {
  return config.rules.some((rule) =>
    [...rule.then, ...rule.onFailure].some((action) => action.kind === 'start' || action.kind === 'signal'),
  );
}

/** Whether any rule of the config records a call's result (only such runs ask for RESULT_EVENTS_PATCH). */
function usesCallResults(config: CompiledConfig): boolean {
  return config.rules.some((rule) => rule.then.some((action) => action.kind === 'call' && action.result !== undefined));
}

export class EntityRun {
  readonly entity: EntityRef;
  private readonly carried: CarriedState | undefined;
  private readonly inbox: InboxItem[];
  private readonly recentEvents: RecentEvent[];
  private readonly recentFirings: Firing[] = [];
  private eventsThisRun = 0;
  private migrateTo: { version?: string } | undefined;
  private loaded: Loaded | undefined;
  private firedSinceVisible: string[] = [];
  /** Decided once per run at its first wait (replay-safe): deliveries are handled in their handlers. */
  private inline = false;
  /** Set while the main loop waits at its bottom: what it waits for. */
  private parked: { deadline: number | undefined; endedAt: number | undefined } | undefined;
  /** Compaction settings of this run, decided once at its first wait (replay-safe); undefined: off. */
  private compaction: { idleMs: number; minHistory: number; jitterMs: number } | undefined;
  /** Engine time of the last handled event or fired deadline: when the entity went idle. */
  private lastActivity = 0;
  /** Set when the run decided to compact: it continues as new at once. */
  private compacting = false;
  /**
   * Called once, when the run is about to continue as new with nothing in flight (CARRY_RUN_START_PATCH): a
   * promise to wait for first, or undefined to continue at once. What arrives while it is awaited is handled (an
   * update is answered) or carried, as before any continue-as-new.
   */
  beforeContinueAsNew: (() => Promise<void> | undefined) | undefined;
  private continuePrepared = false;

  constructor(
    private readonly input: EntityWorkflowInput,
    private readonly patches: RunPatches,
  ) {
    this.entity = { type: input.entityType, key: input.key };
    checkCarriedState(input.carried, `${input.entityType}/${input.key}`);
    this.carried = input.carried;
    this.recentEvents = this.carried?.recentEvents ?? [];
    // Events the previous run received but left to this one come before anything delivered since.
    this.inbox = (this.carried?.inbox ?? []).map((event) => ({ event }));
  }

  // ── deliveries ─────────────────────────────────────────────────────────────────────────────

  /** A signalled batch: queued in order, handled at once when the loop is parked. */
  receive(batch: unknown): void {
    for (const event of wellFormedEvents(batch)) this.inbox.push({ event });
    this.delivered();
  }

  /** A `publish` update's batch: resolves with one result per event, once each is handled. */
  async publish(events: EngineEvent[]): Promise<DeliveryResult[]> {
    const results = Promise.all(
      events.map((event) => new Promise<DeliveryResult>((resolve) => this.inbox.push({ event, resolve }))),
    );
    this.delivered();
    return await results;
  }

  private delivered(): void {
    if (this.inline && this.parked !== undefined && !this.shouldContinueAsNew()) this.drain();
  }

  // ── loading ────────────────────────────────────────────────────────────────────────────────

  /**
   * Builds the machine and the action runner over the run's config. Nothing is scheduled yet: the workflow
   * registers its operator handlers between `load` and `start`, as it always has (an update buffered since
   * the run started runs at that moment, and its commands come before the carried firings').
   */
  load(config: CompiledConfig, taskQueue: string): void {
    const { patches } = this;
    const callResults = usesCallResults(config) && patches.has(RESULT_EVENTS_PATCH);
    const semantics = patches.has(LANGUAGE_SEMANTICS_PATCH) ? CURRENT_SEMANTICS : LEGACY_SEMANTICS;
    const machine = new EntityMachine(config, this.entity, this.carried?.machine, {
      semantics: { ...semantics, callResults },
    });
    const runner = new ActionRunner(this.entity, config, taskQueue, this.carried?.deadLetters ?? [], patches);
    runner.callResults = callResults;
    runner.workflowActions = usesWorkflowActions(config) && patches.has(WORKFLOW_ACTIONS_PATCH);
    // A call's result event is handled at once, in the runner's turn, so the rule's next action sees it folded.
    runner.deliverResult = (event) => {
      const type = this.handle({ event });
      this.publishVisibility(type);
    };
    runner.continueAction = (planned, trigger, results) =>
      machine.continueAction(planned, trigger, results, workflowNow());
    this.loaded = { config, machine, runner, visibility: new VisibilityPublisher(patches) };
    runner.onDeadLettersChanged = () => this.publishVisibility();
    runner.applyFallback = (planned) => {
      try {
        machine.applyFallback(planned, workflowNow());
      } catch (err) {
        log.warn('onFailure action could not change state', { ruleId: planned.ruleId, error: String(err) });
      }
      this.publishVisibility();
    };
  }

  /** Restarts the firings the previous run left unfinished and publishes the entity's visibility. */
  start(): void {
    const { runner } = this.run;
    // Firings whose actions had not finished in the previous run: same idempotency keys, so effectively once.
    for (const firing of this.carried?.pendingFirings ?? []) runner.start(firing);
    runner.resumeWatches(this.carried?.watches ?? []);
    this.publishVisibility();
  }

  private get run(): Loaded {
    if (!this.loaded) throw new Error('the entity run is not loaded yet');
    return this.loaded;
  }

  /** The run's config version (once loaded). */
  get configVersion(): string {
    return this.run.config.version;
  }

  // ── operator requests ──────────────────────────────────────────────────────────────────────

  /** Why a redrive of `deadLetterId` is refused before it is accepted; undefined when it may go. */
  redriveProblem(deadLetterId: unknown): string | undefined {
    if (typeof deadLetterId !== 'string' || deadLetterId.length === 0) return 'deadLetterId must be a non-empty string';
    const letters = this.run.runner.deadLetters();
    if (letters.some((l) => l.id === deadLetterId)) return undefined;
    const open = letters.filter((l) => l.redriven === undefined).map((l) => l.id);
    return (
      `no dead letter "${deadLetterId}" in ${this.entity.type}/${this.entity.key}` +
      (open.length > 0 ? ` (open: ${open.join(', ')})` : ' (it has no open dead letters)')
    );
  }

  redrive(deadLetterId: string): Promise<{ ok: boolean; error?: string }> {
    return this.run.runner.redrive(deadLetterId);
  }

  /** Pauses exactly these rules (issue 18; workflows/rule-pauses.ts). */
  pauseRules(ruleIds: string[]): void {
    this.run.machine.pauseRules(ruleIds);
  }

  /** The rules paused in this entity now. */
  get pausedRules(): string[] {
    return this.run.machine.pausedRules;
  }

  /** The config version the next run is asked to take (`migrate --to`); undefined: the worker's current one. */
  get nextConfigVersion(): string | undefined {
    return this.migrateTo?.version;
  }

  /** Continue as new at the next boundary with `version` (default: the worker's current one). */
  migrate(version: string | undefined): { from: string; to: string } {
    this.migrateTo = { ...(version !== undefined && { version }) };
    return { from: this.run.config.version, to: version ?? 'current' };
  }

  // ── queries ────────────────────────────────────────────────────────────────────────────────

  /** What the `state` query answers: from the carried state until the config is loaded. */
  view(): EntityView {
    const loaded = this.loaded;
    if (!loaded) {
      const previous = this.carried?.machine;
      return {
        entityType: this.entity.type,
        key: this.entity.key,
        configVersion: this.input.configVersion ?? 'loading',
        state: previous?.state ?? {},
        eventCount: previous?.eventCount ?? 0,
        ...(previous?.ended && { ended: previous.ended }),
        deadLetters: (this.carried?.deadLetters ?? []).filter((l) => l.redriven === undefined).length,
        pendingActions: (this.carried?.pendingFirings ?? []).reduce((n, f) => n + f.actions.length, 0),
      };
    }
    const { config, machine, runner } = loaded;
    return {
      entityType: this.entity.type,
      key: this.entity.key,
      configVersion: config.version,
      state: machine.state,
      eventCount: machine.summary.eventCount,
      ...(machine.summary.ended && { ended: machine.summary.ended }),
      deadLetters: runner.openDeadLetters().length,
      pendingActions: runner.pendingActions(),
    };
  }

  events(): RecentEvent[] {
    return this.recentEvents;
  }

  traces(eventId?: string) {
    return this.loaded ? this.loaded.machine.traces(eventId) : (this.carried?.machine.traces ?? []);
  }

  firings(): Firing[] {
    return this.recentFirings;
  }

  deadLetters(): DeadLetter[] {
    return this.loaded ? this.loaded.runner.deadLetters() : (this.carried?.deadLetters ?? []);
  }

  timers() {
    return this.loaded ? this.loaded.machine.timers() : [];
  }

  // ── the main loop ──────────────────────────────────────────────────────────────────────────

  /** Runs until the entity ends or the run continues as new. */
  async runToBoundary(): Promise<RunEnd> {
    const { machine, runner, config } = this.run;
    // Decided once per run, so a run that started before inline delivery keeps the loop's way (replay-safe).
    this.inline = this.patches.has(INLINE_DELIVERY_PATCH);
    this.compaction = this.compactionSettings();
    this.lastActivity = workflowNow();
    for (;;) {
      // Timers: the machine owns deadlines (unless, debounce, windows); the workflow only sleeps until the next one.
      const deadline = machine.nextDeadline();
      const now = workflowNow();
      if (deadline !== undefined && deadline <= now) {
        for (const decision of machine.fireDue(now)) this.remember(decision.firings);
        this.lastActivity = now;
        this.publishVisibility();
        continue;
      }
      if (this.shouldContinueAsNew()) {
        // Answer waiting updates, let handlers finish (a redrive waits for its call), then continue as new.
        this.drain();
        if (allHandlersFinished()) {
          if (this.continuePrepared || this.beforeContinueAsNew === undefined) break;
          this.continuePrepared = true;
          const preparing = this.beforeContinueAsNew();
          if (preparing === undefined) break;
          await preparing;
          continue;
        }
        await condition(() => allHandlersFinished() || this.inbox.some((item) => item.resolve !== undefined));
        continue;
      }
      const endedAt = machine.summary.ended?.at;
      if (endedAt !== undefined && this.inbox.length === 0 && now >= endedAt + ENDED_LINGER_MS) {
        // Done: wait for the last actions and handlers; an event arriving meanwhile is still answered.
        await condition(() => this.inbox.length > 0 || (runner.idle() && allHandlersFinished()));
        if (this.inbox.length > 0) continue;
        this.publishVisibility(undefined, true);
        return {
          kind: 'ended',
          outcome: {
            ended: machine.summary.ended!,
            eventCount: machine.summary.eventCount,
            configVersion: config.version,
          },
        };
      }
      const lingerLeft = endedAt !== undefined ? endedAt + ENDED_LINGER_MS - now : Infinity;
      const compactAt = this.compactAt(endedAt);
      const compactDue = compactAt !== undefined && compactAt <= now;
      if (compactDue && this.inbox.length === 0 && runner.idle()) {
        // Idle long enough, nothing in flight: snapshot into a new run (the path above drains and waits).
        log.info('entity idle: compacting its history into a new run', { historyLength: workflowInfo().historyLength });
        this.compacting = true;
        continue;
      }
      // Due but actions still run: no timer; the loop wakes when the last one finishes.
      const compactLeft = compactAt !== undefined && !compactDue ? compactAt - now : Infinity;
      const wait = Math.min(deadline !== undefined ? deadline - now : Infinity, lingerLeft, compactLeft);
      if (this.inline) this.parked = { deadline, endedAt };
      await condition(
        () =>
          this.inbox.length > 0 ||
          this.shouldContinueAsNew() ||
          (this.inline && this.scheduleMoved()) ||
          (compactDue && runner.idle()) ||
          // Events handled inline grew the history past the bound: wake to arm the idle timer.
          (compactAt === undefined && this.compactAt(endedAt) !== undefined),
        Number.isFinite(wait) ? wait : undefined,
      );
      this.parked = undefined;
      this.drain();
    }

    // Unfinished firings are re-run by the next run with the same idempotency keys; signalled events not
    // handled yet are handled first by the next run, in order.
    // Bring the count and last event type up to date: continue-as-new carries the search attributes over.
    this.publishVisibility(undefined, true);
    const next: CarriedState = {
      machine: machine.snapshot(),
      deadLetters: runner.deadLetters(),
      pendingFirings: runner.unfinished(),
      ...(runner.openWatches().length > 0 && { watches: runner.openWatches() }),
      recentEvents: this.recentEvents,
      inbox: this.inbox.map((item) => item.event),
    };
    return {
      kind: 'continue-as-new',
      next: {
        entityType: this.entity.type,
        key: this.entity.key,
        ...(this.migrateTo?.version !== undefined && { configVersion: this.migrateTo.version }),
        carried: next,
      },
    };
  }

  /** Whether this run compacts when idle, and with which settings (behind COMPACT_WHEN_IDLE_PATCH). */
  private compactionSettings(): EntityRun['compaction'] {
    const setting = this.run.config.entities[this.entity.type]?.compaction;
    if (setting === false || !this.patches.has(COMPACT_WHEN_IDLE_PATCH)) return undefined;
    const idleMs = setting?.idleMs ?? DEFAULT_COMPACT_IDLE_MS;
    return {
      idleMs,
      minHistory: setting?.minHistory ?? DEFAULT_COMPACT_MIN_HISTORY,
      jitterMs: compactionJitter(`${this.entity.type}/${this.entity.key}`, idleMs),
    };
  }

  /** When this run compacts if nothing happens before; undefined when its history is short or it ended. */
  private compactAt(endedAt: number | undefined): number | undefined {
    const settings = this.compaction;
    if (settings === undefined || endedAt !== undefined) return undefined;
    if (workflowInfo().historyLength < settings.minHistory) return undefined;
    return this.lastActivity + settings.idleMs + settings.jitterMs;
  }

  private shouldContinueAsNew(): boolean {
    return (
      this.compacting ||
      this.migrateTo !== undefined ||
      this.eventsThisRun >= MAX_EVENTS_PER_RUN ||
      workflowInfo().historyLength >= MAX_HISTORY_PER_RUN ||
      workflowInfo().continueAsNewSuggested
    );
  }

  /** Inline handling changed a deadline or ended the entity: the loop must wake and wait anew. */
  private scheduleMoved(): boolean {
    const { machine } = this.run;
    return (
      this.parked !== undefined &&
      (machine.nextDeadline() !== this.parked.deadline || machine.summary.ended?.at !== this.parked.endedAt)
    );
  }

  /** Folds one delivered event and starts the rules it fired; returns its type when accepted. */
  private handle(item: InboxItem): string | undefined {
    const decision = this.run.machine.handleEvent(item.event, workflowNow());
    const delivery: DeliveryResult = decision.delivery ?? {
      eventId: item.event.id,
      source: item.event.source,
      status: 'rejected',
      reason: 'no decision',
      fired: [],
    };
    this.eventsThisRun++;
    this.lastActivity = workflowNow();
    this.recentEvents.push({
      id: item.event.id,
      source: item.event.source,
      type: item.event.type,
      at: workflowNow(),
      status: delivery.status,
      ...(delivery.reason !== undefined && { reason: delivery.reason }),
    });
    if (delivery.status === 'rejected') {
      log.warn('event rejected', { eventId: item.event.id, eventType: item.event.type, reason: delivery.reason });
    }
    this.remember(decision.firings);
    item.resolve?.(delivery);
    return delivery.status === 'accepted' ? item.event.type : undefined;
  }

  /**
   * Handles the inbox in arrival order. In runs with the bounded-runs patch but not the later one, once the
   * run should continue as new only what must be answered here is handled — every event up to the last
   * waiting `publish` update — and the rest is carried over.
   */
  private drain(): void {
    // Runs that started before bounded runs were introduced keep handling the whole inbox (replay-safe), and
    // so do runs since the inbox is handled before continuing as new; only runs in between carry it.
    const bounded = this.patches.has(BOUNDED_RUNS_PATCH) && !this.patches.has(HANDLE_INBOX_BEFORE_CONTINUE_PATCH);
    const inbox = this.inbox;
    let lastUpdate = bounded ? -1 : inbox.length - 1;
    for (let i = inbox.length - 1; i >= 0; i--) {
      if (inbox[i]!.resolve) {
        lastUpdate = i;
        break;
      }
    }
    let handled = 0;
    let lastType: string | undefined;
    // Stop at the run's bound, except to reach the last waiting update (it must be answered by this run).
    while (handled < inbox.length && (handled <= lastUpdate || !this.shouldContinueAsNew())) {
      lastType = this.handle(inbox[handled]!) ?? lastType;
      handled++;
    }
    if (handled === 0) return;
    inbox.splice(0, handled);
    if (this.recentEvents.length > RECENT_LIMIT) this.recentEvents.splice(0, this.recentEvents.length - RECENT_LIMIT);
    this.publishVisibility(lastType);
  }

  private remember(firings: Firing[]): void {
    for (const firing of firings) {
      this.firedSinceVisible.push(firing.ruleId);
      this.recentFirings.push(firing);
      this.run.runner.start(firing);
    }
    if (this.recentFirings.length > RECENT_LIMIT)
      this.recentFirings.splice(0, this.recentFirings.length - RECENT_LIMIT);
  }

  private publishVisibility(lastType?: string, force = false): void {
    const { config, runner, visibility } = this.run;
    visibility.publish(config, this.view(), runner.openDeadLetters().length, this.firedSinceVisible, lastType, force);
    this.firedSinceVisible = [];
  }
}
