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
} from './messages.js';
import { VisibilityPublisher } from './visibility.js';

/** Continue as new before this many events in one run (the server's hard limit is 10,000 signals). */
export const MAX_EVENTS_PER_RUN = 2_000;
/** Continue as new before history reaches this many events, whatever `continueAsNewSuggested` says. */
export const MAX_HISTORY_PER_RUN = 8_000;
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

  // Handlers first, before any await: signals and updates that came with the start are not lost.
  setHandler(eventSignal, ({ events }) => {
    for (const event of events) inbox.push({ event });
  });
  setHandler(publishUpdate, async ({ events }) => {
    const results = await Promise.all(
      events.map((event) => new Promise<DeliveryResult>((resolve) => inbox.push({ event, resolve }))),
    );
    return results;
  });

  const config: CompiledConfig = await getConfig({ version: input.configVersion });
  const machine = new EntityMachine(config, entity, carried?.machine);
  const runner = new ActionRunner(entity, config, workflowInfo().taskQueue, carried?.deadLetters ?? []);

  setHandler(redriveUpdate, ({ deadLetterId }) => runner.redrive(deadLetterId));
  setHandler(migrateUpdate, async ({ configVersion }) => {
    const from = config.version;
    migrateTo = { version: configVersion };
    // The new version is resolved by the next run; report what it will be when known.
    return { from, to: configVersion ?? 'current' };
  });
  const view = (): EntityView => ({
    entityType: entity.type,
    key: entity.key,
    configVersion: config.version,
    state: machine.state,
    eventCount: machine.summary.eventCount,
    ended: machine.summary.ended,
    deadLetters: runner.openDeadLetters().length,
    pendingActions: runner.pendingActions(),
  });
  setHandler(stateQuery, view);
  setHandler(eventsQuery, () => recentEvents);
  setHandler(tracesQuery, (filter) => machine.traces(filter?.eventId));
  setHandler(firingsQuery, () => recentFirings);
  setHandler(deadLettersQuery, () => runner.deadLetters());
  setHandler(timersQuery, () => machine.timers());

  const visibility = new VisibilityPublisher();
  let firedSinceVisible: string[] = [];
  const publishVisibility = (lastType?: string) => {
    visibility.publish(config, view(), runner.openDeadLetters().length, firedSinceVisible, lastType);
    firedSinceVisible = [];
  };
  runner.onDeadLettersChanged = () => publishVisibility();
  runner.applyFallback = (planned) => {
    try {
      machine.applyFallback(planned, Date.now());
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

  for (;;) {
    for (;;) {
      // Timers: the machine owns deadlines (unless, debounce, windows); the workflow only sleeps until the next one.
      const deadline = machine.nextDeadline();
      const now = Date.now();
      if (deadline !== undefined && deadline <= now) {
        for (const decision of machine.fireDue(now)) remember(decision.firings);
        publishVisibility();
        continue;
      }
      if (inbox.length === 0 && shouldContinueAsNew()) break;
      if (machine.ended && inbox.length === 0 && Date.now() - machine.summary.ended!.at >= ENDED_LINGER_MS) break;

      const lingerLeft = machine.ended ? machine.summary.ended!.at + ENDED_LINGER_MS - now : undefined;
      const wait = Math.min(deadline !== undefined ? deadline - now : Infinity, lingerLeft ?? Infinity);
      await condition(() => inbox.length > 0 || shouldContinueAsNew(), Number.isFinite(wait) ? wait : undefined);

      if (inbox.length === 0) continue;
      let lastType: string | undefined;
      // Drain everything delivered so far in arrival order; the batch shares one visibility update.
      while (inbox.length > 0) {
        const item = inbox.shift()!;
        const decision = machine.handleEvent(item.event, Date.now());
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
          at: Date.now(),
          status: delivery.status,
          ...(delivery.reason !== undefined && { reason: delivery.reason }),
        });
        if (delivery.status === 'accepted') lastType = item.event.type;
        if (delivery.status === 'rejected') {
          log.warn('event rejected', { eventId: item.event.id, eventType: item.event.type, reason: delivery.reason });
        }
        remember(decision.firings);
        item.resolve?.(delivery);
      }
      if (recentEvents.length > RECENT_LIMIT) recentEvents.splice(0, recentEvents.length - RECENT_LIMIT);
      publishVisibility(lastType);
    }

    if (machine.ended && !shouldContinueAsNew()) {
      // Wait for the last actions and handlers; an event arriving meanwhile is answered by the loop.
      await condition(() => inbox.length > 0 || (runner.idle() && allHandlersFinished()));
      if (inbox.length > 0) continue;
      const ended = machine.summary.ended!;
      return { ended, eventCount: machine.summary.eventCount, configVersion: config.version };
    }

    // Continue as new: let handlers finish (publish updates wait for their events, already processed; a
    // redrive waits for its call). Anything delivered meanwhile goes back through the loop first, so nothing
    // is left behind. Unfinished firings are re-run by the next run with the same idempotency keys.
    await condition(() => inbox.length > 0 || allHandlersFinished());
    if (inbox.length > 0) continue;
    break;
  }

  const next: CarriedState = {
    machine: machine.snapshot(),
    deadLetters: runner.deadLetters(),
    pendingFirings: runner.unfinished(),
    recentEvents,
    runCount: (carried?.runCount ?? 0) + 1,
  };
  return continueAsNew<typeof entityWorkflow>({
    entityType: entity.type,
    key: entity.key,
    ...(migrateTo?.version !== undefined && { configVersion: migrateTo.version }),
    carried: next,
  });
}
