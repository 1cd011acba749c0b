/**
 * How the entity workflow schedules a connector call: timeouts, retry policy, heartbeat and the task
 * queue. Workflow-safe: pure functions over the compiled connector, importing only types.
 */
import type { ActivityOptions } from '@temporalio/common';
import type { CompiledConnector } from '../src/config/compiled.js';

/** How often the activity heartbeats while it waits for the integrated system. */
export const CONNECTOR_HEARTBEAT_INTERVAL_MS = 2_000;
/** A worker that stops heartbeating for this long is presumed dead: the server retries the call elsewhere. */
export const CONNECTOR_HEARTBEAT_TIMEOUT_MS = 10_000;
/** Room beyond the HTTP timeout for building the request and reading the recorded part of the body. */
export const CONNECTOR_START_TO_CLOSE_GRACE_MS = 5_000;
/** Attempts when the configuration sets none: Temporal's default (unlimited) would never dead-letter. */
export const DEFAULT_CONNECTOR_MAXIMUM_ATTEMPTS = 10;

/** Task queue of a connector's calls: its own queue when it has flow control, else the base queue. */
export function connectorTaskQueue(base: string, connector: CompiledConnector): string {
  return hasFlowControl(connector) ? `${base}.connector.${connector.name}` : base;
}

/** True when the connector needs a dedicated worker (concurrency or rate limit). */
export function hasFlowControl(connector: CompiledConnector): boolean {
  return connector.concurrency !== undefined || connector.rateLimit !== undefined;
}

/**
 * Activity options (timeouts, retry, heartbeat) for one connector, used by the workflow with proxyActivities.
 * Pass the workflow's base task queue to route flow-controlled connectors to their own queue.
 */
export function connectorActivityOptions(connector: CompiledConnector, baseTaskQueue?: string): ActivityOptions {
  const { retry } = connector;
  const options: ActivityOptions = {
    startToCloseTimeout: connector.timeoutMs + CONNECTOR_START_TO_CLOSE_GRACE_MS,
    heartbeatTimeout: CONNECTOR_HEARTBEAT_TIMEOUT_MS,
    retry: {
      maximumAttempts: retry.maximumAttempts ?? DEFAULT_CONNECTOR_MAXIMUM_ATTEMPTS,
      ...(retry.initialIntervalMs !== undefined && { initialInterval: retry.initialIntervalMs }),
      ...(retry.backoffCoefficient !== undefined && { backoffCoefficient: retry.backoffCoefficient }),
      ...(retry.maximumIntervalMs !== undefined && { maximumInterval: retry.maximumIntervalMs }),
      ...(retry.nonRetryableErrorTypes !== undefined && { nonRetryableErrorTypes: [...retry.nonRetryableErrorTypes] }),
    },
  };
  if (baseTaskQueue !== undefined) options.taskQueue = connectorTaskQueue(baseTaskQueue, connector);
  return options;
}
