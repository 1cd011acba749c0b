/**
 * Load generators. Closed loop: N senders, each sending its next batch as soon as the last was acked
 * (offered concurrency N). Open loop: one batch every 1/rate seconds whatever the acks do (latency at a
 * fixed rate). Both record, per event, when its send started and when it was acked.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { EngineEvent } from '../src/rules/types.js';
import type { EventFactory } from './bench-events.js';
import type { Target } from './targets.js';

/** How long the bench waits for what was acked to be handled before it calls a run failed. */
export const DRAIN_TIMEOUT_MS = 180_000;

export interface LoadRecord {
  /** performance.now() when the first send started and when the last sender stopped. */
  startedAt: number;
  endedAt: number;
  /** Per acked event: send start and ack (performance.now()). */
  sentAt: Map<string, number>;
  ackedAt: Map<string, number>;
  errors: number;
  firstError?: string;
}

function newRecord(): LoadRecord {
  return { startedAt: performance.now(), endedAt: 0, sentAt: new Map(), ackedAt: new Map(), errors: 0 };
}

async function sendOne(target: Target, events: EngineEvent[], record: LoadRecord): Promise<void> {
  const started = performance.now();
  try {
    await target.send(events);
    const acked = performance.now();
    for (const event of events) {
      record.sentAt.set(event.id, started);
      record.ackedAt.set(event.id, acked);
    }
  } catch (err) {
    record.errors++;
    record.firstError ??= err instanceof Error ? err.message : String(err);
  }
}

/**
 * `concurrency` senders for `durationMs`; each turn a sender takes `nextSends()` — one or more sends
 * (each a batch of one entity's events) issued together, as a burst — and waits for all of them.
 */
export async function closedLoop(
  target: Target,
  options: {
    concurrency: number;
    durationMs: number;
    nextSends: () => EngineEvent[][];
    /** What a sender waits for after the ack, before its next turn (default nothing). */
    afterAck?: (events: EngineEvent[]) => Promise<void>;
  },
): Promise<LoadRecord> {
  const record = newRecord();
  const end = record.startedAt + options.durationMs;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < end) {
        const sends = options.nextSends();
        await Promise.all(sends.map((events) => sendOne(target, events, record)));
        if (options.afterAck) await Promise.all(sends.map((events) => options.afterAck!(events)));
      }
    }),
  );
  record.endedAt = performance.now();
  return record;
}

/** Sends `nextSend()` every 1/ratePerSecond seconds for `durationMs`, not waiting for acks. */
export async function openLoop(
  target: Target,
  options: { ratePerSecond: number; durationMs: number; nextSend: () => EngineEvent[] },
): Promise<LoadRecord> {
  const record = newRecord();
  const intervalMs = 1000 / options.ratePerSecond;
  const inFlight: Array<Promise<void>> = [];
  for (let i = 0; ; i++) {
    const due = record.startedAt + i * intervalMs;
    if (due - record.startedAt >= options.durationMs) break;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    inFlight.push(sendOne(target, options.nextSend(), record));
  }
  await Promise.all(inFlight);
  record.endedAt = performance.now();
  return record;
}

/** Runs `work` on every item, in order, with at most `concurrency` running at once. */
export async function inPool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/** Sends `events` one entity-batch at a time with at most `concurrency` in flight (warm-up, fixtures). */
export async function sendAll(target: Target, batches: EngineEvent[][], concurrency: number): Promise<LoadRecord> {
  const record = newRecord();
  await inPool(batches, concurrency, (batch) => sendOne(target, batch, record));
  record.endedAt = performance.now();
  if (record.errors > 0) throw new Error(`${record.errors} sends failed; first: ${record.firstError}`);
  return record;
}

/** Creates `keys` entities of the target (one event each) and waits until each is handled, cached and idle. */
export async function warmUp(target: Target, events: EventFactory, keys: number, concurrency: number): Promise<void> {
  const sent = await sendAll(
    target,
    Array.from({ length: keys }, (_, i) => [events.event(i)]),
    concurrency,
  );
  await target.tracker.lastProcessed(sent.ackedAt.keys(), DRAIN_TIMEOUT_MS);
  await target.settled(Array.from({ length: keys }, (_, i) => events.key(i)));
}
