/**
 * Per-connector flow control. A connector with `concurrency` or `rateLimit` gets its own task queue,
 * served by a worker whose slots cap concurrent calls and whose task-queue rate limit (enforced by
 * the Temporal server, across every worker polling the queue) caps calls per second. Connectors
 * without limits share the engine's base queue. See docs/connectors.md for why.
 */
import type { CompiledConfig } from '../config/compiled.js';
import { connectorTaskQueue, hasFlowControl } from '../../workflows/connector-options.js';

export { connectorTaskQueue } from '../../workflows/connector-options.js';

/** Worker options for one connector's dedicated task queue. */
export interface ConnectorWorkerOptions {
  taskQueue: string;
  /** Calls at once per worker process (the connector's `concurrency`). */
  maxConcurrentActivityTaskExecutions?: number;
  /** Calls per second across all workers of the queue (the connector's `rateLimit`), enforced by the server. */
  maxTaskQueueActivitiesPerSecond?: number;
}

/**
 * One entry per flow-controlled connector: the task queue and the limits its worker must use.
 * Pass several config versions (oldest first) so entities pinned to an older version still find a
 * worker for their connector's queue; a later version's limits win.
 */
export function connectorWorkerOptions(
  config: CompiledConfig | CompiledConfig[],
  base: string,
): ConnectorWorkerOptions[] {
  const byQueue = new Map<string, ConnectorWorkerOptions>();
  for (const version of Array.isArray(config) ? config : [config]) {
    for (const connector of Object.values(version.connectors)) {
      if (!hasFlowControl(connector)) continue;
      const options: ConnectorWorkerOptions = { taskQueue: connectorTaskQueue(base, connector) };
      if (connector.concurrency !== undefined) options.maxConcurrentActivityTaskExecutions = connector.concurrency;
      if (connector.rateLimit !== undefined) options.maxTaskQueueActivitiesPerSecond = connector.rateLimit;
      byQueue.set(options.taskQueue, options);
    }
  }
  return [...byQueue.values()];
}
