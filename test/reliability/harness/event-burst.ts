/**
 * Bursts of `scanned` events for the reliability config: many entities, several events each, sent
 * with bounded concurrency, remembering exactly which events were acknowledged.
 */
import type { EventDeliverer } from '../../../src/client/delivery.js';
import type { EngineEvent } from '../../../src/rules/types.js';

/** `perEntity` scanned events for each of `entities` teams, interleaved across teams (as real traffic is). */
export function scanBurst(prefix: string, entities: number, perEntity: number): EngineEvent[] {
  const events: EngineEvent[] = [];
  for (let n = 0; n < perEntity; n++) {
    for (let t = 0; t < entities; t++) {
      events.push({
        id: `${prefix}-t${t}-e${n}`,
        source: 'chaos',
        type: 'scanned',
        specversion: '1.0',
        data: { teamId: `${prefix}-t${t}`, n },
      });
    }
  }
  return events;
}

/** Workflow ids of the teams in a burst. */
export function burstEntities(prefix: string, entities: number): string[] {
  return Array.from({ length: entities }, (_, t) => `team/${prefix}-t${t}`);
}

export interface BurstResult {
  acknowledged: Set<string>;
  /** Events whose send was refused (and not acknowledged on a retry), with the error. */
  refused: Map<string, string>;
  /** Sends retried after a retryable refusal. */
  retries: number;
}

/**
 * Sends every event through `deliverer.send` (signal-with-start), `concurrency` at a time; an event is
 * acknowledged when its send resolved. `onProgress` is told the count sent so far (to time a fault).
 */
export async function sendBurst(
  deliverer: EventDeliverer,
  events: EngineEvent[],
  options: {
    concurrency?: number;
    onProgress?: (done: number) => void | Promise<void>;
    /** Retry a retryable refusal (Temporal unavailable, entity not running) this often, as a good sender does. */
    retryEveryMs?: number;
    /** Give up retrying at this time (ms since epoch). */
    retryUntil?: number;
    /** Pause after each acknowledged event in a lane (spreads a burst over time). */
    paceMs?: number;
  } = {},
): Promise<BurstResult> {
  const acknowledged = new Set<string>();
  const refused = new Map<string, string>();
  let next = 0;
  let done = 0;
  const lane = async () => {
    while (next < events.length) {
      const event = events[next++]!;
      for (;;) {
        try {
          await deliverer.send([event]);
          acknowledged.add(event.id);
          refused.delete(event.id);
          break;
        } catch (err) {
          refused.set(event.id, err instanceof Error ? err.message : String(err));
          const retryable = (err as { retryable?: unknown }).retryable === true;
          if (!retryable || options.retryEveryMs === undefined || Date.now() > (options.retryUntil ?? 0)) break;
          retries++;
          await new Promise((resolve) => setTimeout(resolve, options.retryEveryMs));
        }
      }
      done++;
      await options.onProgress?.(done);
      if (options.paceMs) await new Promise((resolve) => setTimeout(resolve, options.paceMs));
    }
  };
  let retries = 0;
  await Promise.all(Array.from({ length: options.concurrency ?? 50 }, lane));
  return { acknowledged, refused, retries };
}
