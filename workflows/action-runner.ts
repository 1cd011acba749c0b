/**
 * Runs the actions of fired rules as activities, inside the entity workflow. Actions of one firing
 * run in order; different firings run concurrently. A call that exhausts its retries becomes a dead
 * letter (kept, queryable, redrivable) and the rule's `onFailure` actions run.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  log,
  proxyActivities,
  TimeoutFailure,
  upsertMemo,
} from '@temporalio/workflow';
import {
  startedWorkflowId,
  watchOf,
  workflowOutcomeEvent,
  type WorkflowOutcome,
  type WorkflowWatch,
} from '../src/rules/workflow-result.js';
import type { CompiledAction, CompiledConfig, JsonObject } from '../src/config/compiled.js';
import { emittedEvent } from '../src/rules/emitted-event.js';
import {
  failedEvent,
  recordsResult,
  respondedEvent,
  withResult,
  type CallFailureInfo,
  type CallResponse,
  type CallResults,
} from '../src/rules/call-result.js';
import type { EngineEvent, EntityRef, Firing, PlannedAction } from '../src/rules/types.js';
import type { EngineActivities } from '../activities/index.js';
import { connectorActivityOptions } from './connector-options.js';
import type { DeadLetter } from '../src/contract/messages.js';
import { PausedCalls } from './paused-calls.js';
import type { RunPatches } from './run-patches.js';
import { asTaskFailure } from './task-failure.js';
import { workflowNow } from './workflow-time.js';

type CallAction = Extract<CompiledAction, { kind: 'call' }>;

/**
 * Firings performing actions at once; more wait their turn. Keeps an entity well under the server's
 * limit of pending activities per workflow (2,000 by default).
 */
export const MAX_ACTIVE_FIRINGS = 500;

/** Dead letters kept after they were redriven successfully (open ones are always kept). */
const REDRIVEN_KEPT = 20;

/** Options of the start and signal activities (their summaries are set per action). */
const workflowActionOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 10 },
} as const;
/** A watched workflow's wait without `timeout`: long, since the heartbeat is what notices a lost worker. */
const WATCH_FOREVER_MS = 365 * 24 * 60 * 60 * 1_000;
/** A wait whose worker stops heartbeating this long is retried on another worker. */
const WATCH_HEARTBEAT_TIMEOUT_MS = 30_000;
/** Workflow ids kept in the entity's `startedWorkflows` memo. */
const STARTED_IN_MEMO = 10;

function timedOut(watch: WorkflowWatch): WorkflowOutcome {
  return {
    ok: false,
    timedOut: true,
    error: { type: 'Timeout', message: `${watch.workflow} (${watch.workflowId}) had no outcome within its timeout` },
  };
}

/** Options of the emit activity (its summary is set per call). */
const emitOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
} as const;

interface Running {
  firing: Firing;
  /** Index into the firing's main (non-onFailure) actions of the next one to run. */
  next: number;
  /** Set once a main action dead-lettered: only the onFailure actions remain. */
  failed: boolean;
  /** Index into the onFailure actions of the next one to run. */
  fallbackNext: number;
  /** Results of the calls with `result` performed so far: what deferred actions read. */
  results?: CallResults | undefined;
}

/** A failure as a `.failed` result event records it: type, message, attempts, and the answer if any. */
function failureInfo(err: unknown, maxAttempts: number | undefined): CallFailureInfo {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  const { message, attempts } = failureMessage(err);
  const detail =
    cause instanceof ApplicationFailure
      ? (cause.details?.[0] as { status?: unknown; body?: unknown } | undefined)
      : undefined;
  return {
    type: cause instanceof ApplicationFailure ? (cause.type ?? 'Error') : cause instanceof Error ? cause.name : 'Error',
    message,
    attempts: attempts ?? maxAttempts ?? 1,
    ...(typeof detail?.status === 'number' && { status: detail.status }),
    ...(typeof detail?.body === 'string' && { body: detail.body }),
  };
}

function failureMessage(err: unknown): { message: string; attempts?: number } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const detail = cause.details?.[0] as { attempt?: number; status?: number } | undefined;
    return {
      message: `${cause.type ?? 'Error'}: ${cause.message}`,
      ...(typeof detail?.attempt === 'number' && { attempts: detail.attempt }),
    };
  }
  return { message: cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause) };
}

/**
 * Whether a firing has anything to perform: a call or emit among its main actions, or (once failed)
 * onFailure actions. Main `set`/`end` actions were applied by the machine when the rule fired.
 */
function hasWork(firing: Firing): boolean {
  if (firing.failed === true) return firing.actions.some((a) => a.onFailure === true);
  return firing.actions.some((a) => a.onFailure !== true && a.action.kind !== 'set' && a.action.kind !== 'end');
}

export class ActionRunner {
  private readonly running = new Map<string, Running>();
  /** Started workflows whose outcome the entity waits for, by the start action's idempotency key. */
  private readonly watches = new Map<string, WorkflowWatch>();
  /** The latest workflows this run started (the memo's `startedWorkflows`). */
  private readonly started: string[] = [];
  private nextFiringId = 0;
  private readonly letters: DeadLetter[];
  private nextLetter: number;
  private active = 0;
  /** Calls to paused connectors wait here (issue 18), in order per connector. */
  private readonly pausedCalls: PausedCalls;
  /** Applies an onFailure `set`/`end` through the machine (state only changes there). */
  applyFallback: (planned: PlannedAction) => void = () => undefined;
  /** Called when the dead letters change (a call failed for good, or a redrive succeeded). */
  onDeadLettersChanged: () => void = () => undefined;
  /**
   * Whether calls with `result` record their outcome as events (decided per run behind RESULT_EVENTS_PATCH; the
   * machine's `callResults` semantics must agree, since it defers the actions that read them).
   */
  callResults = false;
  /** Hands a call's result event to the entity: folded and evaluated at once, like a delivered event. */
  deliverResult: (event: EngineEvent) => void = () => undefined;
  /** Whether `start` / `signal` actions run (behind WORKFLOW_ACTIONS_PATCH; else they are skipped, logged). */
  workflowActions = false;
  /** Readies a deferred action through the machine (renders it; applies a `set`/`end`). */
  continueAction: (planned: PlannedAction, trigger: EngineEvent, results: CallResults | undefined) => PlannedAction = (
    planned,
  ) => planned;

  constructor(
    private readonly entity: EntityRef,
    private readonly config: CompiledConfig,
    private readonly baseTaskQueue: string,
    deadLetters: DeadLetter[],
    patches: RunPatches,
  ) {
    this.pausedCalls = new PausedCalls(patches);
    this.letters = [...deadLetters];
    this.nextLetter = deadLetters.reduce((max, l) => Math.max(max, Number(l.id.replace(/^dl-/, '')) || 0), 0) + 1;
  }

  /** Starts running a firing's actions in the background of the workflow. */
  start(firing: Firing): void {
    // A firing of only `set`/`end` actions was applied by the machine when it fired: nothing runs here.
    // Skipping it creates no promise; every workflow promise costs the SDK a captured stack trace.
    if (!hasWork(firing)) return;
    const id = `f${this.nextFiringId++}`;
    const entry: Running = {
      firing,
      next: 0,
      failed: firing.failed === true,
      fallbackNext: 0,
      ...(firing.results && { results: firing.results }),
    };
    this.running.set(id, entry);
    void this.run(entry).finally(() => this.running.delete(id));
  }

  idle(): boolean {
    return this.running.size === 0;
  }

  /** Actions of running firings not performed yet (the one in progress included). */
  pendingActions(): number {
    let pending = 0;
    for (const { firing, next, failed, fallbackNext } of this.running.values()) {
      const main = firing.actions.filter((a) => a.onFailure !== true).length;
      const fallback = firing.actions.length - main;
      pending += failed ? fallback - fallbackNext : main - next;
    }
    return pending;
  }

  /** Firings not finished yet, reduced to the actions still to run: carried across continue-as-new. */
  unfinished(): Firing[] {
    return [...this.running.values()].map(({ firing, next, failed, fallbackNext, results }) => {
      const main = firing.actions.filter((a) => a.onFailure !== true);
      const fallback = firing.actions.filter((a) => a.onFailure === true);
      // A failed firing carries only the fallbacks still to run; the next run goes straight to them.
      if (failed) return { ...firing, failed: true, actions: fallback.slice(fallbackNext) };
      return { ...firing, actions: [...main.slice(next), ...fallback], ...(results && { results }) };
    });
  }

  deadLetters(): DeadLetter[] {
    return [...this.letters];
  }

  /** Started workflows still watched: carried across continue-as-new, resumed by `resumeWatches`. */
  openWatches(): WorkflowWatch[] {
    return [...this.watches.values()];
  }

  /** Resumes the watches a previous run carried (each attaches to its workflow by id again). */
  resumeWatches(watches: readonly WorkflowWatch[]): void {
    for (const watch of watches) this.watch(watch);
  }

  openDeadLetters(): DeadLetter[] {
    return this.letters.filter((l) => l.redriven === undefined);
  }

  /** Re-runs one dead letter's call with its original idempotency key. */
  async redrive(deadLetterId: string): Promise<{ ok: boolean; error?: string }> {
    const letter = this.letters.find((l) => l.id === deadLetterId);
    if (!letter)
      throw ApplicationFailure.nonRetryable(`no dead letter "${deadLetterId}" in ${this.entityId()}`, 'NotFound');
    if (letter.redriven !== undefined) return { ok: true };
    const planned = letter.request as unknown as PlannedAction;
    try {
      const response = await this.call(planned, planned.action as CallAction);
      letter.redriven = workflowNow();
      const results = this.recordResponse(planned, response, letter.results);
      if (letter.rest && letter.rest.length > 0) {
        this.start({
          ruleId: letter.ruleId,
          eventId: letter.eventId,
          at: workflowNow(),
          cause: 'event',
          actions: letter.rest,
          ...(letter.trigger && { trigger: letter.trigger }),
          ...(results && { results }),
        });
      }
      this.trimRedriven();
      this.onDeadLettersChanged();
      log.info('dead letter redriven', { deadLetterId, ruleId: letter.ruleId, eventId: letter.eventId });
      return { ok: true };
    } catch (err) {
      const failure = failureMessage(err);
      letter.lastFailure = failure.message;
      letter.attempts += failure.attempts ?? 1;
      letter.at = workflowNow();
      return { ok: false, error: failure.message };
    }
  }

  private entityId(): string {
    return `${this.entity.type}/${this.entity.key}`;
  }

  private trimRedriven(): void {
    const redriven = this.letters.filter((l) => l.redriven !== undefined);
    for (const old of redriven.slice(0, Math.max(0, redriven.length - REDRIVEN_KEPT))) {
      this.letters.splice(this.letters.indexOf(old), 1);
    }
  }

  private async run(entry: Running): Promise<void> {
    // Only wait when at the cap: below it, actions are scheduled at once, as they always were.
    if (this.active >= MAX_ACTIVE_FIRINGS) await condition(() => this.active < MAX_ACTIVE_FIRINGS);
    this.active++;
    try {
      await this.performAll(entry);
    } catch (err) {
      // Runs in the background: what escapes it must fail the workflow task, never the workflow.
      throw asTaskFailure(err);
    } finally {
      this.active--;
    }
  }

  private async performAll(entry: Running): Promise<void> {
    const { firing } = entry;
    const main = firing.actions.filter((a) => a.onFailure !== true);
    const onFailure = firing.actions.filter((a) => a.onFailure === true);
    for (; !entry.failed && entry.next < main.length; entry.next++) {
      let planned = main[entry.next]!;
      try {
        if (planned.deferred === true) planned = this.ready(planned, entry);
        await this.perform(planned, entry);
      } catch (err) {
        this.recordFailure(planned, err);
        // The rule's later actions wait in the dead letter: a successful redrive runs them.
        const letter = this.deadLetter(planned, err, main.slice(entry.next + 1), entry);
        log.warn('action dead-lettered', { ruleId: planned.ruleId, eventId: planned.eventId, deadLetterId: letter.id });
        // Later actions of the rule may depend on this one, so the rule stops here; onFailure runs instead.
        entry.failed = true;
      }
    }
    for (; entry.failed && entry.fallbackNext < onFailure.length; entry.fallbackNext++) {
      const fallback = onFailure[entry.fallbackNext]!;
      try {
        await this.perform(fallback);
      } catch (err) {
        this.deadLetter(fallback, err);
      }
    }
  }

  private async perform(planned: PlannedAction, entry?: Running): Promise<void> {
    const { action } = planned;
    switch (action.kind) {
      case 'call': {
        const response = await this.call(planned, action);
        if (entry) entry.results = this.recordResponse(planned, response, entry.results);
        return;
      }
      case 'emit': {
        // The same envelope the simulator builds; its id is the idempotency key, so the target dedupes a re-emit.
        const event = emittedEvent(this.config, planned, workflowNow());
        if (event) {
          const { emitEvents } = proxyActivities<EngineActivities>({
            ...emitOptions,
            summary: `${planned.ruleId} → emit ${event.type}`,
          });
          await emitEvents({ events: [event], configVersion: this.config.version });
        }
        return;
      }
      case 'start': {
        if (!this.workflowActions) return;
        const workflowId = startedWorkflowId(planned);
        const { startWorkflow } = proxyActivities<EngineActivities>({
          ...workflowActionOptions,
          summary: `${planned.ruleId} → start ${action.workflow} (${workflowId})${action.summary ? ` ${action.summary}` : ''}`,
        });
        const started = await startWorkflow({
          entity: this.entity,
          ruleId: planned.ruleId,
          eventId: planned.eventId,
          idempotencyKey: planned.idempotencyKey,
          workflowId,
          action,
        });
        this.linkStarted(started.workflowId);
        const watch = watchOf(planned, started.runId, workflowNow());
        if (watch) this.watch(watch);
        return;
      }
      case 'signal': {
        if (!this.workflowActions) return;
        const workflowId =
          typeof action.workflowId === 'string' ? action.workflowId : JSON.stringify(action.workflowId);
        const { signalWorkflow } = proxyActivities<EngineActivities>({
          ...workflowActionOptions,
          summary: `${planned.ruleId} → signal ${action.signal} (${workflowId})`,
        });
        await signalWorkflow({ workflowId, signal: action.signal, args: action.args });
        return;
      }
      case 'set':
      case 'end':
        // `then` ones were applied by the machine when the rule fired (deferred ones when readied); onFailure ones
        // apply now, through it.
        if (planned.onFailure === true) this.applyFallback(planned);
        return;
    }
  }

  /** Waits in the background for a started workflow's outcome and records it as the entity's event, once. */
  private watch(watch: WorkflowWatch): void {
    if (this.watches.has(watch.key)) return;
    this.watches.set(watch.key, watch);
    void this.awaitOutcome(watch)
      .then((outcome) => {
        // The watch may have been dropped meanwhile (the entity ended): record nothing then.
        if (!this.watches.delete(watch.key)) return;
        const event = workflowOutcomeEvent(watch, outcome, workflowNow());
        if (event) this.deliverResult(event);
      })
      .catch((err: unknown) => {
        throw asTaskFailure(err);
      });
  }

  private async awaitOutcome(watch: WorkflowWatch): Promise<WorkflowOutcome> {
    const left = watch.deadline === undefined ? undefined : watch.deadline - workflowNow();
    if (left !== undefined && left <= 0) return timedOut(watch);
    const { awaitWorkflow } = proxyActivities<EngineActivities>({
      // The wait may last days: the heartbeat, not the start-to-close timeout, notices a dead worker.
      startToCloseTimeout: left ?? WATCH_FOREVER_MS,
      ...(left !== undefined && { scheduleToCloseTimeout: left }),
      heartbeatTimeout: WATCH_HEARTBEAT_TIMEOUT_MS,
      retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
      summary: `${watch.ruleId} → wait for ${watch.workflow} (${watch.workflowId})`,
    });
    try {
      return await awaitWorkflow({
        workflowId: watch.workflowId,
        ...(watch.runId !== undefined && { runId: watch.runId }),
      });
    } catch (err) {
      if (err instanceof ActivityFailure && err.cause instanceof TimeoutFailure) return timedOut(watch);
      throw err;
    }
  }

  /** Puts the started workflow's id in the entity's memo (the Web UI shows it): the link from entity to workflow. */
  private linkStarted(workflowId: string): void {
    this.started.push(workflowId);
    if (this.started.length > STARTED_IN_MEMO) this.started.splice(0, this.started.length - STARTED_IN_MEMO);
    upsertMemo({ startedWorkflows: [...this.started] });
  }

  /** A deferred action, rendered now over the results so far (a template or reducer failure dead-letters it). */
  private ready(planned: PlannedAction, entry: Running): PlannedAction {
    const trigger = entry.firing.trigger;
    if (!trigger)
      throw ApplicationFailure.nonRetryable('a deferred action lost its triggering event', 'DeferredAction');
    try {
      return this.continueAction(planned, trigger, entry.results);
    } catch (err) {
      throw ApplicationFailure.nonRetryable(err instanceof Error ? err.message : String(err), 'ActionTemplateFailed');
    }
  }

  /** Records a successful call's result event (when the action asks) and returns what later actions read. */
  private recordResponse(
    planned: PlannedAction,
    response: CallResponse,
    results: CallResults | undefined,
  ): CallResults | undefined {
    if (!this.callResults || !recordsResult(planned.action)) return results;
    const event = respondedEvent(planned, response, workflowNow());
    if (!event) return results;
    this.deliverResult(event);
    return withResult(results, planned.action.connector, event.data as JsonObject);
  }

  /** Records a call's final failure as its `.failed` event, when the action asks. */
  private recordFailure(planned: PlannedAction, err: unknown): void {
    const action = planned.action;
    if (!this.callResults || action.kind !== 'call' || !recordsResult(action)) return;
    const info = failureInfo(err, this.config.connectors[action.connector]?.retry.maximumAttempts);
    const event = failedEvent(planned, info, workflowNow());
    if (event) this.deliverResult(event);
  }

  private async call(planned: PlannedAction, action: CallAction): Promise<CallResponse> {
    const connector = this.config.connectors[action.connector];
    if (!connector)
      throw ApplicationFailure.nonRetryable(`unknown connector "${action.connector}"`, 'UnknownConnector');
    const { callConnector } = proxyActivities<EngineActivities>({
      ...connectorActivityOptions(connector, this.baseTaskQueue),
      // The Web UI shows this beside the activity: the rule and the connector, then the config's own words.
      summary: `${planned.ruleId} → ${connector.name}${action.summary ? ` (${action.summary})` : ''}`,
    });
    const invoke = () =>
      callConnector({
        entity: this.entity,
        ruleId: planned.ruleId,
        eventId: planned.eventId,
        idempotencyKey: planned.idempotencyKey,
        connector,
        action,
      });
    // A paused connector's calls wait in the order they were made (paused-calls.ts); the usual path awaits the
    // activity directly.
    const madeAs = this.pausedCalls.made();
    if (this.pausedCalls.holds(connector.name)) return await this.pausedCalls.wait(connector.name, invoke, madeAs);
    try {
      const response = await invoke();
      this.pausedCalls.called();
      return response;
    } catch (err) {
      if (!this.pausedCalls.refused(err)) throw err;
      return await this.pausedCalls.wait(connector.name, invoke, madeAs);
    }
  }

  private deadLetter(planned: PlannedAction, err: unknown, rest: PlannedAction[] = [], entry?: Running): DeadLetter {
    const failure = failureMessage(err);
    const action = planned.action;
    const connector = action.kind === 'call' ? action.connector : action.kind;
    const maxAttempts =
      action.kind === 'call' ? this.config.connectors[action.connector]?.retry.maximumAttempts : undefined;
    const letter: DeadLetter = {
      id: `dl-${this.nextLetter++}`,
      ruleId: planned.ruleId,
      eventId: planned.eventId,
      connector,
      idempotencyKey: planned.idempotencyKey,
      request: planned as unknown as JsonObject,
      lastFailure: failure.message,
      attempts: failure.attempts ?? maxAttempts ?? 1,
      at: workflowNow(),
      ...(rest.length > 0 && { rest }),
      // Deferred actions in `rest` read the trigger and the results so far when a redrive runs them.
      ...(rest.some((a) => a.deferred === true) && entry?.firing.trigger && { trigger: entry.firing.trigger }),
      ...(rest.some((a) => a.deferred === true) && entry?.results && { results: entry.results }),
    };
    this.letters.push(letter);
    this.onDeadLettersChanged();
    return letter;
  }
}
