/** What callers of the SDK write for an event, and how it becomes a CloudEvents envelope. */
import { randomUUID } from 'node:crypto';
import type { Json } from '../config/compiled.js';

/** One event as a caller writes it: `id` defaults to a random UUID, `time` may be a Date. */
export interface EventInput<T extends string = string, D = Json> {
  type: T;
  source: string;
  data: D;
  id?: string;
  subject?: string;
  time?: string | Date;
}

/** Event type → data type; `hunt types` generates one from the configuration. */
export type EventMap = object;

/** Any event of a map, discriminated by `type`, so `data` is checked against that type's schema. */
export type AnyEventInput<E extends EventMap> = { [T in keyof E & string]: EventInput<T, E[T]> }[keyof E & string];

/** Builds the (not yet validated) CloudEvents envelope for an input. */
export function toCloudEvent(input: EventInput<string, unknown>): Record<string, unknown> {
  const envelope: Record<string, unknown> = {
    specversion: '1.0',
    id: input.id ?? randomUUID(),
    source: input.source,
    type: input.type,
    data: input.data,
  };
  if (input.subject !== undefined) envelope.subject = input.subject;
  if (input.time !== undefined) envelope.time = input.time instanceof Date ? input.time.toISOString() : input.time;
  return envelope;
}
