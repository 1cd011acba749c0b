/** Prometheus metrics of the ingest API, on a registry other parts of the process can add to. */
import { Counter, Histogram, Registry } from 'prom-client';

export interface IngestMetrics {
  registry: Registry;
  requests: Counter<'route' | 'method' | 'status' | 'source'>;
  requestSeconds: Histogram<'route' | 'method' | 'status' | 'source'>;
  events: Counter<'type' | 'outcome'>;
  /** Native webhook requests after verification, by source, native type and outcome. */
  webhooks: Counter<'source' | 'native_type' | 'outcome'>;
}

/** Registers the ingest metrics on `registry` (a fresh one by default). */
export function createIngestMetrics(registry: Registry = new Registry()): IngestMetrics {
  const labelNames = ['route', 'method', 'status', 'source'] as const;
  return {
    registry,
    requests: new Counter({
      name: 'hunt_ingest_requests_total',
      help: 'HTTP requests handled by the ingest API, by route, method, status and source',
      labelNames,
      registers: [registry],
    }),
    requestSeconds: new Histogram({
      name: 'hunt_ingest_request_duration_seconds',
      help: 'Time to answer an ingest API request, by route, method, status and source',
      labelNames,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    events: new Counter({
      name: 'hunt_ingest_events_total',
      help: 'Events seen by the ingest API, by type and outcome (accepted, duplicate, rejected, unavailable)',
      labelNames: ['type', 'outcome'] as const,
      registers: [registry],
    }),
    webhooks: new Counter({
      name: 'hunt_ingest_webhooks_total',
      help:
        'Verified native webhook requests, by source, native type and outcome ' +
        '(mapped, ignored — a type the configuration does not map —, rejected, answered)',
      labelNames: ['source', 'native_type', 'outcome'] as const,
      registers: [registry],
    }),
  };
}
