/**
 * Runs the actions of fired rules as activities, inside the entity workflow. Actions of one firing
 * run in order; different firings run concurrently. A call that exhausts its retries becomes a dead
 * letter (kept, queryable, redrivable) and the rule's `onFailure` actions run.
 */
import { ActivityFailure, ApplicationFailure, condition, log, proxyActivities } from '@temporalio/workflow';
import type { CompiledAction, CompiledConfig, JsonObject } from '../src/config/compiled.js';
import { emittedEvent } from '../src/rules/emitted-event.js';
import type { EntityRef, Firing, PlannedAction } from '../src/rules/types.js';
import type { EngineActivities } from '../activities/index.js';
import { connectorActivityOptions } from './connector-options.js';
import type { DeadLetter } from '../src/contract/messages.js';
import { PausedCalls } from './paused-calls.js';
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
  return firing.actions.some((a) => a.onFailure !== true && (a.action.kind === 'call' || a.action.kind === 'emit'));
}

export class ActionRunner {
  private readonly running = new Map<string, Running>();
  private nextFiringId = 0;
  private readonly letters: DeadLetter[];
  private nextLetter: number;
  private active = 0;
  /** Calls to paused connectors wait here (issue 18), in order per connector. */
  private readonly pausedCalls = new PausedCalls();
  /** Applies an onFailure `set`/`end` through the machine (state only changes there). */
  applyFallback: (planned: PlannedAction) => void = () => undefined;
  /** Called when the dead letters change (a call failed for good, or a redrive succeeded). */
  onDeadLettersChanged: () => void = () => undefined;

  constructor(
    private readonly entity: EntityRef,
    private readonly config: CompiledConfig,
    private readonly baseTaskQueue: string,
    deadLetters: DeadLetter[],
  ) {
    this.letters = [...deadLetters];
    this.nextLetter = deadLetters.reduce((max, l) => Math.max(max, Number(l.id.replace(/^dl-/, '')) || 0), 0) + 1;
  }

  /** Starts running a firing's actions in the background of the workflow. */
  start(firing: Firing): void {
    // A firing of only `set`/`end` actions was applied by the machine when it fired: nothing runs here.
    // Skipping it creates no promise; every workflow promise costs the SDK a captured stack trace.
    if (!hasWork(firing)) return;
    const id = `f${this.nextFiringId++}`;
    const entry: Running = { firing, next: 0, failed: firing.failed === true, fallbackNext: 0 };
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
    return [...this.running.values()].map(({ firing, next, failed, fallbackNext }) => {
      const main = firing.actions.filter((a) => a.onFailure !== true);
      const fallback = firing.actions.filter((a) => a.onFailure === true);
      // A failed firing carries only the fallbacks still to run; the next run goes straight to them.
      if (failed) return { ...firing, failed: true, actions: fallback.slice(fallbackNext) };
      return { ...firing, actions: [...main.slice(next), ...fallback] };
    });
  }

  deadLetters(): DeadLetter[] {
    return [...this.letters];
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
      await this.call(planned, planned.action as CallAction);
      letter.redriven = workflowNow();
      if (letter.rest && letter.rest.length > 0) {
        this.start({
          ruleId: letter.ruleId,
          eventId: letter.eventId,
          at: workflowNow(),
          cause: 'event',
          actions: letter.rest,
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
      const planned = main[entry.next]!;
      try {
        await this.perform(planned);
      } catch (err) {
        // The rule's later actions wait in the dead letter: a successful redrive runs them.
        const letter = this.deadLetter(planned, err, main.slice(entry.next + 1));
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

  private async perform(planned: PlannedAction): Promise<void> {
    const { action } = planned;
    switch (action.kind) {
      case 'call':
        await this.call(planned, action);
        return;
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
      case 'set':
      case 'end':
        // `then` ones were applied by the machine when the rule fired; onFailure ones apply now, through it.
        if (planned.onFailure === true) this.applyFallback(planned);
        return;
    }
  }

  private async call(planned: PlannedAction, action: CallAction): Promise<void> {
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
    // A paused connector's calls wait in order (paused-calls.ts); the usual path awaits the activity directly.
    if (this.pausedCalls.holds(connector.name)) return void (await this.pausedCalls.wait(connector.name, invoke));
    try {
      await invoke();
      this.pausedCalls.called();
    } catch (err) {
      if (!this.pausedCalls.refused(err)) throw err;
      await this.pausedCalls.wait(connector.name, invoke);
    }
  }

  private deadLetter(planned: PlannedAction, err: unknown, rest: PlannedAction[] = []): DeadLetter {
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
    };
    this.letters.push(letter);
    this.onDeadLettersChanged();
    return letter;
  }
}
