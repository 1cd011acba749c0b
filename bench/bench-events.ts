/**
 * Bench events and the key distribution: every target gets the same kind of event, and a seeded
 * generator picks keys, so engine and baselines see the same distribution.
 */
import type { EngineEvent } from '../src/rules/types.js';
import { BENCH_EVENT_TYPE, BENCH_SOURCE } from './bench-config.js';

/** A seeded uniform generator in [0, 1) (mulberry32): the same seed gives the same key sequence. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Makes events with unique ids for keys `<prefix>-k<i>`. */
export class EventFactory {
  private seq = 0;
  constructor(private readonly prefix: string) {}

  /** The entity key with index `i`. */
  key(i: number): string {
    return `${this.prefix}-k${i}`;
  }

  /** One event for the entity key with index `i`. */
  event(i: number): EngineEvent {
    return {
      id: `${this.prefix}-e${this.seq++}`,
      source: BENCH_SOURCE,
      type: BENCH_EVENT_TYPE,
      specversion: '1.0',
      data: { teamId: this.key(i), checkpoint: 'cp-1' },
    };
  }
}

/** The entity key an event is for (bench events carry it in data.teamId). */
export function keyOf(event: EngineEvent): string {
  return String((event.data as { teamId: string }).teamId);
}
