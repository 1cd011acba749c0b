/**
 * The entity workflow: one per entity (`<entityType>/<key>`); its history is the entity's event log.
 * A thin shell over the pure EntityMachine (src/rules): it wires signals, updates and queries, turns the
 * machine's deadlines into timers, runs the planned actions as activities, keeps dead letters, and
 * continues as new before history grows large.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { CompiledConfig } from '../src/config/compiled.js';
import { EntityMachine } from '../src/rules/entity-machine.js';
import type { DeliveryResult, EngineEvent, Firing } from '../src/rules/types.js';
import type { EngineActivities } from '../activities/index.js';
import { ActionRunner } from './action-runner.js';
import {
  type CarriedState,
  type EntityView,
  type EntityWorkflowInput,
  type RecentEvent,
  deadLettersQuery,
  eventSignal,
  eventsQuery,
  firingsQuery,
  migrateUpdate,
  publishUpdate,
  redriveUpdate,
  stateQuery,
  timersQuery,
  tracesQuery,
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
 * carrying the ones past its bound. Events arriving faster than the entity handles them piled up in the
 * carried inbox, and a continue-as-new input over the server's 2 MB limit is refused, which stopped the
 * entity. The signals are in this run's history already; handling them adds no signal to it.
 */
export const HANDLE_INBOX_BEFORE_CONTINUE_PATCH = 'handle-inbox-before-continue-as-new';
/** How many recent events and firings queries keep. */
const RECENT_LIMIT = 100;
/** After an `end` action, the workflow lingers this long to answer late and re-delivered events (as rejected/duplicate). */
export const ENDED_LINGER_MS = 24 * 60 * 60 * 1_000;

export interface EntityOutcome {
  ended: { at: number; reason?: string };
  eventCount: number;
  configVersion: string;
}

interface InboxItem {
  event: EngineEvent;
  /** Set for `publish` (update) deliveries: the caller waits for the result. */
  resolve?: (result: DeliveryResult) => void;
}

/**
 * Compiled configs by version, shared by the workflows of this worker thread: a config is immutable and
 * pinned per run, so a thousand cached entities hold one copy instead of a thousand. Bounded.
 */
const sharedConfigs = new Map<string, CompiledConfig>();
const SHARED_CONFIGS_MAX = 8;

function shared(config: CompiledConfig): CompiledConfig {
  const known = sharedConfigs.get(config.version);
  if (known) return known;
  if (sharedConfigs.size >= SHARED_CONFIGS_MAX) sharedConfigs.delete(sharedConfigs.keys().next().value!);
  sharedConfigs.set(config.version, deepFreeze(config));
  return config;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

const { getConfig } = proxyLocalActivities<EngineActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 10, initialInterval: '200 milliseconds' },
});

/** The entity workflow. */
export async function entityWorkflow(input: EntityWorkflowInput): Promise<EntityOutcome> {
  const entity = { type: input.entityType, key: input.key };
  const inbox: InboxItem[] = [];
  const carried = input.carried;
  const recentEvents: RecentEvent[] = carried?.recentEvents ?? [];
  const recentFirings: Firing[] = [];
  let eventsThisRun = 0;
  let migrateTo: { version?: string } | undefined;
  /** Handles what was just delivered, if the main loop is waiting (behind INLINE_DELIVERY_PATCH). */
  let delivered: () => void = () => undefined;

  // Handlers first, before any await: signals and updates that came with the start are not lost.
  setHandler(eventSignal, ({ events }) => {
    for (const event of events) inbox.push({ event });
    delivered();
  });
  // Events the previous run received but left to this one come before anything delivered since.
  inbox.unshift(...(carried?.inbox ?? []).map((event) => ({ event })));
  setHandler(publishUpdate, async ({ events }) => {
    const results = Promise.all(
      events.map((event) => new Promise<DeliveryResult>((resolve) => inbox.push({ event, resolve }))),
    );
    delivered();
    return await results;
  });

  // Queries answer from the carried state until the config is loaded (right after continue-as-new).
  const run: { loaded?: { config: CompiledConfig; machine: EntityMachine; runner: ActionRunner } } = {};
  const view = (): EntityView => {
    const loaded = run.loaded;
    if (!loaded) {
      const previous = carried?.machine;
      return {
        entityType: entity.type,
        key: entity.key,
        configVersion: input.configVersion ?? 'loading',
        state: previous?.state ?? {},
        eventCount: previous?.eventCount ?? 0,
        ...(previous?.ended && { ended: previous.ended }),
        deadLetters: (carried?.deadLetters ?? []).filter((l) => l.redriven === undefined).length,
        pendingActions: (carried?.pendingFirings ?? []).reduce((n, f) => n + f.actions.length, 0),
      };
    }
    const { config, machine, runner } = loaded;
    return {
      entityType: entity.type,
      key: entity.key,
      configVersion: config.version,
      state: machine.state,
      eventCount: machine.summary.eventCount,
      ...(machine.summary.ended && { ended: machine.summary.ended }),
      deadLetters: runner.openDeadLetters().length,
      pendingActions: runner.pendingActions(),
    };
  };
  setHandler(stateQuery, view);
  setHandler(eventsQuery, () => recentEvents);
  setHandler(tracesQuery, (filter) =>
    run.loaded ? run.loaded.machine.traces(filter?.eventId) : (carried?.machine.traces ?? []),
  );
  setHandler(firingsQuery, () => recentFirings);
  setHandler(deadLettersQuery, () => (run.loaded ? run.loaded.runner.deadLetters() : (carried?.deadLetters ?? [])));
  setHandler(timersQuery, () => (run.loaded ? run.loaded.machine.timers() : []));

  const config: CompiledConfig = shared(await getConfig({ version: input.configVersion }));
  const machine = new EntityMachine(config, entity, carried?.machine);
  const runner = new ActionRunner(entity, config, workflowInfo().taskQueue, carried?.deadLetters ?? []);
  run.loaded = { config, machine, runner };

  setHandler(redriveUpdate, ({ deadLetterId }) => runner.redrive(deadLetterId));
  setHandler(migrateUpdate, async ({ configVersion }) => {
    const from = config.version;
    migrateTo = { version: configVersion };
    // The new version is resolved by the next run; report what it will be when known.
    return { from, to: configVersion ?? 'current' };
  });

  const visibility = new VisibilityPublisher();
  let firedSinceVisible: string[] = [];
  const publishVisibility = (lastType?: string, force = false) => {
    visibility.publish(config, view(), runner.openDeadLetters().length, firedSinceVisible, lastType, force);
    firedSinceVisible = [];
  };
  runner.onDeadLettersChanged = () => publishVisibility();
  runner.applyFallback = (planned) => {
    try {
      machine.applyFallback(planned, workflowNow());
    } catch (err) {
      log.warn('onFailure action could not change state', { ruleId: planned.ruleId, error: String(err) });
    }
    publishVisibility();
  };
  const remember = (firings: Firing[]) => {
    for (const firing of firings) {
      firedSinceVisible.push(firing.ruleId);
      recentFirings.push(firing);
      runner.start(firing);
    }
    if (recentFirings.length > RECENT_LIMIT) recentFirings.splice(0, recentFirings.length - RECENT_LIMIT);
  };

  // Firings whose actions had not finished in the previous run: same idempotency keys, so effectively once.
  for (const firing of carried?.pendingFirings ?? []) runner.start(firing);
  publishVisibility();

  const shouldContinueAsNew = () =>
    migrateTo !== undefined ||
    eventsThisRun >= MAX_EVENTS_PER_RUN ||
    workflowInfo().historyLength >= MAX_HISTORY_PER_RUN ||
    workflowInfo().continueAsNewSuggested;

  /** Folds one delivered event and starts the rules it fired. */
  const handle = (item: InboxItem): string | undefined => {
    const decision = machine.handleEvent(item.event, workflowNow());
    const delivery: DeliveryResult = decision.delivery ?? {
      eventId: item.event.id,
      source: item.event.source,
      status: 'rejected',
      reason: 'no decision',
      fired: [],
    };
    eventsThisRun++;
    recentEvents.push({
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
    remember(decision.firings);
    item.resolve?.(delivery);
    return delivery.status === 'accepted' ? item.event.type : undefined;
  };

  /**
   * Handles the inbox in arrival order. In runs with the bounded-runs patch but not the later one, once the
   * run should continue as new only what must be answered here is handled — every event up to the last
   * waiting `publish` update — and the rest is carried over.
   */
  const drain = () => {
    // Runs that started before bounded runs were introduced keep handling the whole inbox (replay-safe), and
    // so do runs since the inbox is handled before continuing as new; only runs in between carry it.
    const bounded = patched(BOUNDED_RUNS_PATCH) && !patched(HANDLE_INBOX_BEFORE_CONTINUE_PATCH);
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
    while (handled < inbox.length && (handled <= lastUpdate || !shouldContinueAsNew())) {
      lastType = handle(inbox[handled]!) ?? lastType;
      handled++;
    }
    if (handled === 0) return;
    inbox.splice(0, handled);
    if (recentEvents.length > RECENT_LIMIT) recentEvents.splice(0, recentEvents.length - RECENT_LIMIT);
    publishVisibility(lastType);
  };

  // Decided once per run, so a run that started before inline delivery keeps the loop's way (replay-safe).
  const inline = patched(INLINE_DELIVERY_PATCH);
  /** Set while the main loop waits at its bottom: what it waits for. */
  let parked: { deadline: number | undefined; endedAt: number | undefined } | undefined;
  if (inline) {
    delivered = () => {
      if (parked !== undefined && !shouldContinueAsNew()) drain();
    };
  }
  /** Inline handling changed a deadline or ended the entity: the loop must wake and wait anew. */
  const scheduleMoved = () =>
    parked !== undefined &&
    (machine.nextDeadline() !== parked.deadline || machine.summary.ended?.at !== parked.endedAt);

  for (;;) {
    // Timers: the machine owns deadlines (unless, debounce, windows); the workflow only sleeps until the next one.
    const deadline = machine.nextDeadline();
    const now = workflowNow();
    if (deadline !== undefined && deadline <= now) {
      for (const decision of machine.fireDue(now)) remember(decision.firings);
      publishVisibility();
      continue;
    }
    if (shouldContinueAsNew()) {
      // Answer waiting updates, let handlers finish (a redrive waits for its call), then continue as new.
      drain();
      if (allHandlersFinished()) break;
      await condition(() => allHandlersFinished() || inbox.some((item) => item.resolve !== undefined));
      continue;
    }
    const endedAt = machine.summary.ended?.at;
    if (endedAt !== undefined && inbox.length === 0 && now >= endedAt + ENDED_LINGER_MS) {
      // Done: wait for the last actions and handlers; an event arriving meanwhile is still answered.
      await condition(() => inbox.length > 0 || (runner.idle() && allHandlersFinished()));
      if (inbox.length > 0) continue;
      publishVisibility(undefined, true);
      return { ended: machine.summary.ended!, eventCount: machine.summary.eventCount, configVersion: config.version };
    }
    const lingerLeft = endedAt !== undefined ? endedAt + ENDED_LINGER_MS - now : Infinity;
    const wait = Math.min(deadline !== undefined ? deadline - now : Infinity, lingerLeft);
    if (inline) parked = { deadline, endedAt };
    await condition(
      () => inbox.length > 0 || shouldContinueAsNew() || (inline && scheduleMoved()),
      Number.isFinite(wait) ? wait : undefined,
    );
    parked = undefined;
    drain();
  }

  // Unfinished firings are re-run by the next run with the same idempotency keys; signalled events not
  // handled yet are handled first by the next run, in order.
  // Bring the count and last event type up to date: continue-as-new carries the search attributes over.
  publishVisibility(undefined, true);
  const next: CarriedState = {
    machine: machine.snapshot(),
    deadLetters: runner.deadLetters(),
    pendingFirings: runner.unfinished(),
    recentEvents,
    inbox: inbox.map((item) => item.event),
    runCount: (carried?.runCount ?? 0) + 1,
  };
  return continueAsNew<typeof entityWorkflow>({
    entityType: entity.type,
    key: entity.key,
    ...(migrateTo?.version !== undefined && { configVersion: migrateTo.version }),
    carried: next,
  });
}
