/**
 * Delivery of validated events to entity workflows: the one place that talks signal-with-start and
 * update-with-start, shared by the ingest API, the client SDK and the workflow's emit activity.
 * Events for one entity that arrive together are coalesced into one signal (or one update), in order.
 */
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
} from '@temporalio/client';
import type { WorkflowIdReusePolicy } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import type { CompiledConfig } from '../config/compiled.js';
import { entityWorkflowId, routeEvent } from '../rules/routing.js';
import type { DeliveryResult, EngineEvent, EntityRef, ReachedResult } from '../rules/types.js';
import { ENTITY_WORKFLOW_TYPE, eventSignal, publishUpdate } from '../contract/messages.js';
import type { EntityWorkflowInput } from '../contract/messages.js';
import { HuntEntityKey, HuntEntityType } from '../contract/search-attributes.js';
import { asEngineUnavailable } from './engine-unavailable-error.js';
import { EntityNotRunningError, type ClosedStatus } from './entity-not-running-error.js';
import { EventRejectedError } from './event-rejected-error.js';

export interface DeliveryOptions {
  client: Client;
  taskQueue: string;
  config: CompiledConfig;
  /**
   * Extra ms to wait for more events for one entity before sending. Default 0: the first event goes at once,
   * and events arriving while a signal for that entity is in flight go together in the next one.
   */
  coalesceWindowMs?: number;
  /** Most events in one signal or update; a fuller batch goes out at once. Default 100. */
  maxEventsPerSignal?: number;
  /** Deadline for one signal-with-start call (ms). Default 10 000. */
  sendTimeoutMs?: number;
  /** Deadline for one update-with-start call, which waits for the workflow to process (ms). Default 30 000. */
  publishTimeoutMs?: number;
  /** Retry-After (seconds) suggested when Temporal is unavailable. Default 5. */
  retryAfterSeconds?: number;
  /** Retry-After (seconds) suggested when the entity failed or was terminated and waits for `hunt revive`. Default 60. */
  notRunningRetryAfterSeconds?: number;
}

/** Proof that Temporal accepted one event (its signal returned). */
export interface SendReceipt {
  eventId: string;
  /** The entity the event is about (its type's `entity`). */
  entity: EntityRef;
  workflowId: string;
  /** Every entity the event reached, that one first: present when its type reaches several (`alsoReaches`). */
  reached?: Array<{ entity: EntityRef; workflowId: string }>;
}

/** What ingest needs from delivery; EntityDelivery implements it, tests may pass a fake. */
export interface EventDeliverer {
  send(events: EngineEvent[]): Promise<SendReceipt[]>;
  publish(events: EngineEvent[]): Promise<DeliveryResult[]>;
  /** Sends everything still waiting in a coalescing window and waits for in-flight deliveries. */
  flush(): Promise<void>;
}

/** Counters for tests and metrics: how many Temporal calls carried how many events. */
export interface DeliveryStats {
  /** Signals sent, plain or with start. */
  signals: number;
  /** Of those, signal-with-start calls (first delivery to an entity, or it had closed). */
  signalsWithStart: number;
  updates: number;
  events: number;
}

type Mode = 'signal' | 'update';

/**
 * Entities remembered as running: a plain signal reaches them, without signal-with-start's start request
 * (search attributes, input) for the server to check on every event.
 */
const KNOWN_ENTITIES_MAX = 10_000;

interface QueuedEvent {
  mode: Mode;
  event: EngineEvent;
  resolve: (result: DeliveryResult | undefined) => void;
  reject: (err: unknown) => void;
}

interface EntityQueue {
  entity: EntityRef;
  workflowId: string;
  items: QueuedEvent[];
  timer?: ReturnType<typeof setTimeout> | undefined;
  draining?: Promise<void> | undefined;
}

/** Delivers events to entity workflows through Temporal, coalescing per entity. */
export class EntityDelivery implements EventDeliverer {
  readonly client: Client;
  readonly stats: DeliveryStats = { signals: 0, signalsWithStart: 0, updates: 0, events: 0 };
  private readonly queues = new Map<string, EntityQueue>();
  /** Workflow ids this process delivered to, oldest first (see signal). */
  private readonly delivered = new Set<string>();
  private readonly windowMs: number;
  private readonly maxEvents: number;
  private readonly retryAfterSeconds: number;

  constructor(private readonly options: DeliveryOptions) {
    this.client = options.client;
    this.windowMs = options.coalesceWindowMs ?? 0;
    this.maxEvents = options.maxEventsPerSignal ?? 100;
    this.retryAfterSeconds = options.retryAfterSeconds ?? 5;
  }

  /**
   * Durable: resolves when Temporal accepted the signal (for an event that reaches several entities: every one
   * of its signals); rejects with EngineUnavailableError (retryable) otherwise. A retry after a partial failure
   * is harmless: each entity dedupes the event by its id.
   */
  async send(events: EngineEvent[]): Promise<SendReceipt[]> {
    const routed = this.route(events);
    await Promise.all(
      routed.flatMap(({ event, queues }) => queues.map((queue) => this.enqueue(queue, 'signal', event))),
    );
    return routed.map(({ event, queues }) => ({
      eventId: event.id,
      entity: queues[0]!.entity,
      workflowId: queues[0]!.workflowId,
      ...(queues.length > 1 && {
        reached: queues.map((queue) => ({ entity: queue.entity, workflowId: queue.workflowId })),
      }),
    }));
  }

  /**
   * Update-with-start `publishUpdate`: resolves with the workflow's DeliveryResult per event (accepted/duplicate/
   * rejected, rules fired). An event that reaches several entities gets one result combining theirs
   * (combineReached), with each entity's own under `reached`.
   */
  async publish(events: EngineEvent[]): Promise<DeliveryResult[]> {
    const routed = this.route(events);
    return await Promise.all(
      routed.map(async ({ event, queues }) => {
        const results = await Promise.all(queues.map((queue) => this.enqueue(queue, 'update', event)));
        const answers = results.map((result) => result ?? missingResult(event));
        if (queues.length === 1) return answers[0]!;
        return combineReached(
          event,
          answers.map((answer, i) => ({ ...answer, workflowId: queues[i]!.workflowId })),
        );
      }),
    );
  }

  /** Sends everything waiting in a coalescing window now and waits until all deliveries settled. */
  async flush(): Promise<void> {
    for (const queue of this.queues.values()) this.startDrain(queue);
    await Promise.allSettled([...this.queues.values()].flatMap((queue) => (queue.draining ? [queue.draining] : [])));
  }

  private route(events: EngineEvent[]): Array<{ event: EngineEvent; queues: EntityQueue[] }> {
    // Route everything first, so a bad event fails the call before any event of it is queued.
    return events.map((event, index) => {
      const route = routeEvent(this.options.config, event);
      if (!route.ok)
        throw new EventRejectedError('event cannot be routed', [{ pointer: `/${index}`, detail: route.reason }]);
      return { event, queues: route.entities.map((entity) => this.queueFor(entity)) };
    });
  }

  private queueFor(entity: EntityRef): EntityQueue {
    const workflowId = entityWorkflowId(entity);
    let queue = this.queues.get(workflowId);
    if (!queue) {
      queue = { entity, workflowId, items: [] };
      this.queues.set(workflowId, queue);
    }
    return queue;
  }

  private enqueue(queue: EntityQueue, mode: Mode, event: EngineEvent): Promise<DeliveryResult | undefined> {
    return new Promise((resolve, reject) => {
      queue.items.push({ mode, event, resolve, reject });
      if (queue.draining) return; // the running drain picks it up next, in order
      if (queue.items.length >= this.maxEvents) this.startDrain(queue);
      else queue.timer ??= setTimeout(() => this.startDrain(queue), this.windowMs);
    });
  }

  private startDrain(queue: EntityQueue): void {
    if (queue.timer) clearTimeout(queue.timer);
    queue.timer = undefined;
    if (queue.draining || queue.items.length === 0) return;
    queue.draining = this.drain(queue).finally(() => {
      queue.draining = undefined;
      if (queue.items.length > 0) this.startDrain(queue);
      else if (this.queues.get(queue.workflowId) === queue) this.queues.delete(queue.workflowId);
    });
  }

  /** Sends the queue's events in order, as runs of one mode of at most maxEvents each. */
  private async drain(queue: EntityQueue): Promise<void> {
    while (queue.items.length > 0) {
      const mode = queue.items[0]!.mode;
      let count = 0;
      while (count < queue.items.length && count < this.maxEvents && queue.items[count]!.mode === mode) count++;
      const batch = queue.items.splice(0, count);
      const events = batch.map((item) => item.event);
      try {
        if (mode === 'signal') {
          await this.signal(queue, events);
          for (const item of batch) item.resolve(undefined);
        } else {
          const results = await this.update(queue, events);
          batch.forEach((item, i) => item.resolve(results[i]));
        }
      } catch (err) {
        const mapped = asEngineUnavailable(err, this.retryAfterSeconds) ?? err;
        for (const item of batch) item.reject(mapped);
      }
    }
  }

  private startOptions(queue: EntityQueue) {
    // Search attributes on start make a new entity findable before its first workflow task; the workflow
    // writes them itself too. The server checks them on every start request, so they go only with the
    // first delivery this process makes to an entity (update-with-start always carries a start request).
    const known = this.delivered.has(queue.workflowId);
    return {
      workflowId: queue.workflowId,
      taskQueue: this.options.taskQueue,
      args: [{ entityType: queue.entity.type, key: queue.entity.key } satisfies EntityWorkflowInput],
      ...(!known && {
        typedSearchAttributes: [
          { key: HuntEntityType, value: queue.entity.type },
          { key: HuntEntityKey, value: queue.entity.key },
        ],
      }),
    };
  }

  /** Remembers that Temporal accepted a delivery to this workflow (bounded, oldest forgotten first). */
  private rememberDelivered(workflowId: string): void {
    this.delivered.delete(workflowId);
    this.delivered.add(workflowId);
    if (this.delivered.size > KNOWN_ENTITIES_MAX) this.delivered.delete(this.delivered.values().next().value!);
  }

  /**
   * An entity this process already delivered to gets a plain signal (to its current run, whatever
   * continue-as-new did); one it does not know, or one whose workflow has closed since (ended and gone,
   * terminated), gets signal-with-start. The server does less for a plain signal than for a
   * signal-with-start, which it validates and checks as a start request every time.
   */
  private async signal(queue: EntityQueue, events: EngineEvent[]): Promise<void> {
    this.stats.signals++;
    this.stats.events += events.length;
    const deadline = Date.now() + (this.options.sendTimeoutMs ?? 10_000);
    if (this.delivered.has(queue.workflowId)) {
      try {
        await this.client.connection.withDeadline(deadline, () =>
          this.client.workflow.getHandle(queue.workflowId).signal(eventSignal, { events }),
        );
        this.rememberDelivered(queue.workflowId);
        return;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        this.delivered.delete(queue.workflowId);
      }
    }
    this.stats.signalsWithStart++;
    await this.withStart(queue, deadline, (workflowIdReusePolicy) =>
      this.client.workflow.signalWithStart(ENTITY_WORKFLOW_TYPE, {
        ...this.startOptions(queue),
        workflowIdReusePolicy,
        signal: eventSignal,
        signalArgs: [{ events }],
      }),
    );
    this.rememberDelivered(queue.workflowId);
  }

  /**
   * A delivery that may start the entity's workflow, without ever starting anew an entity whose last run
   * failed, was terminated or was cancelled (its state would be lost): the first try refuses to reuse a
   * closed workflow's id; if there is one, only an entity that ended through its own `end` (completed)
   * starts a new life. Any other closed entity refuses the event with EntityNotRunningError (retryable).
   */
  private async withStart<T>(
    queue: EntityQueue,
    deadline: number,
    call: (reuse: WorkflowIdReusePolicy) => Promise<T>,
  ): Promise<T> {
    const attempt = (reuse: WorkflowIdReusePolicy) => this.client.connection.withDeadline(deadline, () => call(reuse));
    try {
      return await attempt('REJECT_DUPLICATE');
    } catch (err) {
      if (!isAlreadyStarted(err)) throw err;
    }
    const status = await this.client.connection.withDeadline(deadline, () => this.lastRunStatus(queue.workflowId));
    if (status === 'COMPLETED') return await attempt('ALLOW_DUPLICATE');
    // Started meanwhile by another delivery (or revived): deliver to it.
    if (status === 'RUNNING') return await attempt('REJECT_DUPLICATE');
    throw new EntityNotRunningError(queue.workflowId, status, this.options.notRunningRetryAfterSeconds);
  }

  private async lastRunStatus(workflowId: string): Promise<ClosedStatus | 'COMPLETED' | 'RUNNING'> {
    const { status } = await this.client.workflow.getHandle(workflowId).describe();
    switch (status.name) {
      case 'COMPLETED':
      case 'RUNNING':
      case 'FAILED':
      case 'TERMINATED':
      case 'CANCELLED':
      case 'TIMED_OUT':
        return status.name;
      // CONTINUED_AS_NEW is never the last run's status; a paused or unknown one is treated as not startable.
      case 'CONTINUED_AS_NEW':
      case 'PAUSED':
      case 'UNKNOWN':
      case 'UNSPECIFIED':
        return 'FAILED';
    }
  }

  private async update(queue: EntityQueue, events: EngineEvent[]): Promise<DeliveryResult[]> {
    this.stats.updates++;
    this.stats.events += events.length;
    const deadline = Date.now() + (this.options.publishTimeoutMs ?? 30_000);
    const results = await this.withStart(queue, deadline, (workflowIdReusePolicy) =>
      this.client.workflow.executeUpdateWithStart(publishUpdate, {
        args: [{ events }],
        startWorkflowOperation: new WithStartWorkflowOperation(ENTITY_WORKFLOW_TYPE, {
          ...this.startOptions(queue),
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy,
        }),
      }),
    );
    this.rememberDelivered(queue.workflowId);
    return results;
  }
}

/** gRPC ALREADY_EXISTS. */
const ALREADY_EXISTS = 6;

function isAlreadyStarted(err: unknown): boolean {
  for (let current: unknown = err, depth = 0; current && depth < 5; depth++) {
    if (current instanceof WorkflowExecutionAlreadyStartedError) return true;
    if ((current as { code?: unknown }).code === ALREADY_EXISTS) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * One answer for an event that reached several entities: `rejected` if any entity rejected it (the reasons,
 * each with its entity), else `accepted` if any accepted it, else `duplicate`; `fired` lists every rule that
 * fired in any of them.
 */
export function combineReached(event: EngineEvent, reached: ReachedResult[]): DeliveryResult {
  const rejected = reached.filter((r) => r.status === 'rejected');
  const status =
    rejected.length > 0 ? 'rejected' : reached.some((r) => r.status === 'accepted') ? 'accepted' : 'duplicate';
  const reason = rejected.map((r) => `${r.workflowId}: ${r.reason ?? 'rejected'}`).join('; ');
  return {
    eventId: event.id,
    source: event.source,
    status,
    ...(reason !== '' && { reason }),
    fired: [...new Set(reached.flatMap((r) => r.fired))],
    reached,
  };
}

function missingResult(event: EngineEvent): DeliveryResult {
  return {
    eventId: event.id,
    source: event.source,
    status: 'rejected',
    reason: 'the entity workflow returned no result for this event',
    fired: [],
  };
}
