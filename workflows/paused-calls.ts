/**
 * Calls to a paused connector wait in the entity, durably (issue 18). The connector activity refuses to call
 * a paused connector with the non-retryable failure `ConnectorPaused` (it reads the pause record,
 * `hunt.pause/connector/<name>`); here, behind CONNECTOR_PAUSE_PATCH, that failure is not a dead letter: the call
 * joins the entity's queue for that connector and waits — for the `connectorResumed` signal that
 * `hunt connectors resume` sends to every waiting entity, or a durable recheck timer (30 s, doubling to 10 min)
 * when the signal cannot reach it — and then goes out again. While a queue exists, later calls to the
 * connector join it, and the queue lets one call out at a time: on resume they go out in the order they were
 * made. Waiting is only timers and signals, so it survives worker restarts; a continue-as-new carries the
 * waiting firings (ActionRunner.unfinished), whose calls wait again in the next run.
 *
 * The entity's `HuntWaitingOn` search attribute lists the connectors it waits on, and the `waitingCalls` query
 * counts its waiting calls (the live map and `hunt connectors list` read them).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { CONNECTOR_PAUSED_FAILURE, connectorResumedSignal, waitingCallsQuery } from '../src/contract/operations.js';
import { HuntWaitingOn } from '../src/contract/search-attributes.js';
import type { RunPatches } from './run-patches.js';

/** Patch id: a call refused because its connector is paused waits for the resume instead of dead-lettering. */
export const CONNECTOR_PAUSE_PATCH = 'ops-connector-pause';
/**
 * Patch id: refused calls queue in the order they were made, not in the order their refusals came back (calls
 * made together go out as parallel activities, and a later one's refusal may arrive first).
 */
export const PAUSED_CALLS_IN_CALL_ORDER_PATCH = 'ops-paused-calls-in-call-order';
/** First durable recheck of a paused connector when no resume signal came; doubles up to the maximum. */
export const PAUSE_RECHECK_MS = 30_000;
export const PAUSE_RECHECK_MAX_MS = 10 * 60_000;

/** Whether a failed activity was refused because its connector is paused. */
export function isConnectorPaused(err: unknown): boolean {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure && cause.type === CONNECTOR_PAUSED_FAILURE;
}

interface Queue {
  /** Tickets of the waiting calls, in the order they were made; the first one goes next. */
  tickets: number[];
  /** Whether the last attempt found the connector paused. */
  paused: boolean;
  /** Whether the head's call is out (an activity in flight): nothing queues in front of it then. */
  goingOut: boolean;
}

export class PausedCalls {
  private readonly queues = new Map<string, Queue>();
  private readonly resumes = new Map<string, number>();
  private nextTicket = 0;
  /** Calls made so far, numbered as they are made: a refused call's place in its queue. */
  private callsMade = 0;
  /** HuntWaitingOn as last written (a continue-as-new carries it over). */
  private published: string[];

  constructor(private readonly patches: RunPatches) {
    this.published = [...(workflowInfo().typedSearchAttributes.get(HuntWaitingOn) ?? [])];
    setHandler(connectorResumedSignal, (signal) => {
      const connector = (signal as { connector?: unknown } | undefined)?.connector;
      if (typeof connector === 'string') this.resumes.set(connector, (this.resumes.get(connector) ?? 0) + 1);
    });
    setHandler(waitingCallsQuery, () =>
      Object.fromEntries([...this.queues].map(([name, queue]) => [name, queue.tickets.length])),
    );
  }

  /** Numbers a call as it is made, before it goes out; `wait` queues it by this number. */
  made(): number {
    return this.callsMade++;
  }

  /** Whether calls of `connector` queue up now (an earlier call found it paused and waits). */
  holds(connector: string): boolean {
    return this.queues.has(connector);
  }

  /** Whether a failed call was refused because its connector is paused, and this run waits for such calls. */
  refused(err: unknown): boolean {
    return isConnectorPaused(err) && this.patches.has(CONNECTOR_PAUSE_PATCH);
  }

  /** After a call went out directly: clears a "waiting" the previous run carried over, once resumed. */
  called(): void {
    if (this.published.length > 0) this.publish();
  }

  /** Waits in the connector's queue while it is paused, then makes the call (again). */
  async wait<T>(connector: string, invoke: () => Promise<T>, madeAs: number): Promise<T> {
    let queue = this.queues.get(connector);
    if (!queue) {
      queue = { tickets: [], paused: true, goingOut: false };
      this.queues.set(connector, queue);
    }
    const q = queue;
    // In call order: before the calls made after it, but never before a head that is going out. Without the
    // patch (histories from before it), in the order the refusals came back. Tickets of either kind never meet:
    // those without the patch are negative, and come first (their calls were made earlier).
    const inCallOrder = this.patches.has(PAUSED_CALLS_IN_CALL_ORDER_PATCH);
    const ticket = inCallOrder ? madeAs : -++this.nextTicket;
    const at = inCallOrder ? q.tickets.findIndex((t, i) => (i > 0 || !q.goingOut) && t > ticket) : -1;
    if (at < 0) q.tickets.push(ticket);
    else q.tickets.splice(at, 0, ticket);
    this.publish();
    let recheck = PAUSE_RECHECK_MS;
    try {
      for (;;) {
        await condition(() => q.tickets[0] === ticket);
        if (q.paused) {
          const seen = this.resumes.get(connector) ?? 0;
          const signalled = await condition(
            () => (this.resumes.get(connector) ?? 0) !== seen || q.tickets[0] !== ticket,
            recheck,
          );
          // An earlier call queued in front of this one while it waited: that one goes first.
          if (q.tickets[0] !== ticket) continue;
          if (!signalled) recheck = Math.min(recheck * 2, PAUSE_RECHECK_MAX_MS);
        }
        q.goingOut = true;
        try {
          const result = await invoke();
          q.paused = false;
          return result;
        } catch (err) {
          if (isConnectorPaused(err)) {
            q.paused = true;
            continue;
          }
          q.paused = false;
          throw err;
        } finally {
          q.goingOut = false;
        }
      }
    } finally {
      if (inCallOrder) q.tickets.splice(q.tickets.indexOf(ticket), 1);
      else q.tickets.shift();
      if (q.tickets.length === 0) this.queues.delete(connector);
      this.publish();
    }
  }

  /** Writes HuntWaitingOn when the set of connectors waited on changed. */
  private publish(): void {
    const now = [...this.queues.keys()].sort();
    if (now.join('\u0000') === this.published.join('\u0000')) return;
    this.published = now;
    upsertSearchAttributes([{ key: HuntWaitingOn, value: now }]);
  }
}
