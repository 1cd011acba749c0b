/**
 * The bench process's side of the probe: when each event was processed (by task queue), how many,
 * and the largest history length seen. One tracker per target; `sinksFor` injects them into workers.
 */
import type { InjectedSinks } from '@temporalio/worker';
import type { ProcessedSinks } from './processed-sinks.js';

export class ProcessedTracker {
  /** performance.now() when each event id was first reported processed. */
  readonly processedAt = new Map<string, number>();
  count = 0;
  /** Signals reported (a signal may carry several events). */
  signals = 0;
  /** Distinct workflow runs that reported (continue-as-new starts a new run). */
  readonly runIds = new Set<string>();
  lastAt = 0;
  maxHistoryLength = 0;
  private waiters: Array<{ count: number; resolve: () => void }> = [];
  private readonly idWaiters = new Map<string, () => void>();

  record(eventIds: string[], historyLength: number, runId: string): void {
    const now = performance.now();
    this.signals++;
    this.runIds.add(runId);
    for (const id of eventIds) {
      if (this.processedAt.has(id)) continue;
      this.processedAt.set(id, now);
      this.count++;
      this.idWaiters.get(id)?.();
      this.idWaiters.delete(id);
    }
    this.lastAt = now;
    this.maxHistoryLength = Math.max(this.maxHistoryLength, historyLength);
    this.waiters = this.waiters.filter((waiter) => {
      if (this.count < waiter.count) return true;
      waiter.resolve();
      return false;
    });
  }

  /** Resolves when the event `id` was processed (no timeout: callers bound the whole run). */
  processed(id: string): Promise<void> {
    if (this.processedAt.has(id)) return Promise.resolve();
    return new Promise((resolve) => this.idWaiters.set(id, resolve));
  }

  /** Resolves with the time the last of `ids` was processed, once all were; rejects after `timeoutMs`. */
  async lastProcessed(ids: Iterable<string>, timeoutMs: number): Promise<number> {
    const wanted = [...ids];
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      let last = 0;
      let missing = 0;
      for (const id of wanted) {
        const at = this.processedAt.get(id);
        if (at === undefined) missing++;
        else last = Math.max(last, at);
      }
      if (missing === 0) return last;
      if (performance.now() > deadline) {
        throw new Error(`${missing} of ${wanted.length} events were not processed within ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Resolves once `count` distinct events were processed; rejects after `timeoutMs`. */
  async waitFor(count: number, timeoutMs: number): Promise<void> {
    if (this.count >= count) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        new Promise<void>((resolve) => this.waiters.push({ count, resolve })),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`only ${this.count} of ${count} events were processed within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Routes the workflow probe's reports to the tracker of the reporting workflow's task queue. */
export class ProcessedTrackers {
  private readonly byQueue = new Map<string, ProcessedTracker>();

  /** A fresh tracker for one task queue. */
  track(taskQueue: string): ProcessedTracker {
    const tracker = new ProcessedTracker();
    this.byQueue.set(taskQueue, tracker);
    return tracker;
  }

  /** Worker sinks feeding these trackers. */
  sinks(): InjectedSinks<ProcessedSinks> {
    return {
      probe: {
        processed: {
          fn: (info, eventIds, historyLength) =>
            this.byQueue.get(info.taskQueue)?.record(eventIds, historyLength, info.runId),
          callDuringReplay: false,
        },
      },
    };
  }
}
