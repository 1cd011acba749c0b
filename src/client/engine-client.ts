/**
 * The client SDK talking to Temporal directly: validates events against the configuration (the same
 * validator as the ingest API), delivers them to entity workflows, and reads entity state.
 */
import { Client, Connection } from '@temporalio/client';
import type { CompiledConfig, Json } from '../config/compiled.js';
import { EventValidator } from '../config/event-validator.js';
import { entityAddress, requireEntityAddress } from '../contract/entity-address.js';
import type { DecisionTrace, DeliveryResult, EngineEvent, EntityRef } from '../rules/types.js';
import { redriveUpdate, stateQuery, tracesQuery } from '../contract/messages.js';
import type { EntityView } from '../contract/messages.js';
import { EntityDelivery } from './delivery.js';
import type { SendReceipt } from './delivery.js';
import { EventRejectedError } from './event-rejected-error.js';
import { toCloudEvent } from './event-input.js';
import type { AnyEventInput, EventMap } from './event-input.js';

export interface EngineClientOptions {
  /** An open connection to reuse (not closed by `close()`); otherwise one is opened to `address`. */
  connection?: Connection;
  /** Temporal frontend, default `127.0.0.1:7233`. */
  address?: string;
  namespace?: string;
  taskQueue: string;
  config: CompiledConfig;
  /** See DeliveryOptions.coalesceWindowMs. Default 5. */
  coalesceWindowMs?: number;
}

/** An entity as `{ type, key }` or as its workflow id `type/key`. */
export type EntityInput = EntityRef | string;

export interface EngineClient<E extends EventMap = Record<string, Json>> {
  /** Delivers one event and waits for the entity's answer (accepted/duplicate/rejected, rules fired). */
  publish(event: AnyEventInput<E>): Promise<DeliveryResult>;
  /** Delivers several events (one update per entity) and waits for each answer, in order. */
  publishBatch(events: Array<AnyEventInput<E>>): Promise<DeliveryResult[]>;
  /** Delivers one event by signal: resolves once Temporal holds it (durable), without waiting for processing. */
  send(event: AnyEventInput<E>): Promise<SendReceipt>;
  getState(entity: EntityInput): Promise<EntityView>;
  explain(entity: EntityInput, eventId?: string): Promise<DecisionTrace[]>;
  redrive(entity: EntityInput, deadLetterId: string): Promise<{ ok: boolean; error?: string }>;
  /** Sends what is still coalescing, then closes the connection if this client opened it. */
  close(): Promise<void>;
}

/** Creates a client; the connection is opened lazily, on the first call. */
export function createEngineClient<E extends EventMap = Record<string, Json>>(
  options: EngineClientOptions,
): EngineClient<E> {
  const ownsConnection = !options.connection;
  const connection = options.connection ?? Connection.lazy({ address: options.address ?? '127.0.0.1:7233' });
  const client = new Client({ connection, ...(options.namespace ? { namespace: options.namespace } : {}) });
  const delivery = new EntityDelivery({
    client,
    taskQueue: options.taskQueue,
    config: options.config,
    ...(options.coalesceWindowMs !== undefined ? { coalesceWindowMs: options.coalesceWindowMs } : {}),
  });
  const validator = new EventValidator(options.config);

  const validated = (inputs: Array<AnyEventInput<E>>): EngineEvent[] => {
    const events: EngineEvent[] = [];
    const problems = inputs.flatMap((input, index) => {
      const result = validator.validate(toCloudEvent(input));
      if (result.ok) {
        events.push(result.event);
        return [];
      }
      const prefix = inputs.length > 1 ? `/${index}` : '';
      return result.problems.map((p) => ({ ...p, pointer: `${prefix}${p.pointer}` }));
    });
    if (problems.length > 0) throw new EventRejectedError('event rejected', problems);
    return events;
  };
  const handle = (entity: EntityInput) => client.workflow.getHandle(workflowIdOf(entity));

  return {
    publish: async (event) => (await delivery.publish(validated([event])))[0]!,
    publishBatch: (events) => delivery.publish(validated(events)),
    send: async (event) => (await delivery.send(validated([event])))[0]!,
    getState: (entity) => handle(entity).query(stateQuery),
    explain: (entity, eventId) => handle(entity).query(tracesQuery, eventId ? { eventId } : {}),
    redrive: (entity, deadLetterId) => handle(entity).executeUpdate(redriveUpdate, { args: [{ deadLetterId }] }),
    close: async () => {
      await delivery.flush();
      if (ownsConnection) await connection.close();
    },
  };
}

function workflowIdOf(entity: EntityInput): string {
  return entityAddress(typeof entity === 'string' ? requireEntityAddress(entity) : entity);
}
