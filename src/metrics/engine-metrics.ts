/**
 * Engine-wide counters that activities increment: one registry per process, so the live map and
 * `/metrics` of an all-in-one process (`npm start`) see the calls its worker made. In a split
 * deployment (HUNT_ROLE=worker / ingest) each process counts only its own.
 */
import { Counter, Registry } from 'prom-client';

export type ConnectorCallOutcome = 'ok' | 'failed';

/** The process's engine metrics registry (separate from prom-client's global default registry). */
export const engineMetricsRegistry = new Registry();

export const CONNECTOR_CALLS_METRIC = 'hunt_connector_calls_total';

/** Connector call attempts, by connector and outcome (a retried call counts once per attempt). */
export const connectorCalls = new Counter({
  name: CONNECTOR_CALLS_METRIC,
  help: 'Connector call attempts made by this process, by connector and outcome (ok, failed)',
  labelNames: ['connector', 'outcome'] as const,
  registers: [engineMetricsRegistry],
});

/** Counts one connector call attempt. */
export function recordConnectorCall(connector: string, outcome: ConnectorCallOutcome): void {
  connectorCalls.inc({ connector, outcome });
}

/** Attempts per connector so far: `{ mailer: { ok: 3, failed: 1 } }`. */
export async function connectorCallCounts(): Promise<Record<string, Record<ConnectorCallOutcome, number>>> {
  const out: Record<string, Record<ConnectorCallOutcome, number>> = {};
  for (const { labels, value } of (await connectorCalls.get()).values) {
    const connector = String(labels.connector);
    const outcome = labels.outcome === 'ok' ? 'ok' : 'failed';
    (out[connector] ??= { ok: 0, failed: 0 })[outcome] += value;
  }
  return out;
}

export const CONFIG_VERSION_MISSING_METRIC = 'hunt_config_version_missing_total';

/** Entity runs that asked this worker for a config version the deployment does not have (their task retries). */
export const configVersionMissing = new Counter({
  name: CONFIG_VERSION_MISSING_METRIC,
  help: 'Config version lookups that found the version nowhere (the entity waits; deploy a worker that has it)',
  labelNames: ['version'] as const,
  registers: [engineMetricsRegistry],
});

export const CONNECTOR_CALLS_HELD_METRIC = 'hunt_connector_calls_held_total';

/** Calls this process's worker refused because their connector is paused (each waits in its entity). */
export const connectorCallsHeld = new Counter({
  name: CONNECTOR_CALLS_HELD_METRIC,
  help: 'Connector calls held back because the connector is paused (they wait in their entity and go out on resume)',
  labelNames: ['connector'] as const,
  registers: [engineMetricsRegistry],
});
