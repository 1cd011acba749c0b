/** Registers the live map on the ingest API: the page at `GET /` and its numbers at `GET /live-map/counts`. */
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { CompiledConfig } from '../config/compiled.js';
import type { IngestMetrics } from '../ingest/ingest-metrics.js';
import { CONNECTOR_CALLS_METRIC, connectorCalls } from '../metrics/engine-metrics.js';
import { collectLiveCounts, type LiveCounts } from './live-counts.js';
import { renderLiveMapPage } from './live-map-page.js';

export interface LiveMapOptions {
  config: CompiledConfig;
  metrics: IngestMetrics;
  /** For visibility counts; without it the map shows ingest and call counts only. */
  client?: Client;
  /** The deployment's task queue: the operations listed are those run on it. */
  taskQueue?: string;
  /** Temporal Web UI base URL for links (e.g. `http://localhost:8233`). */
  webUiUrl?: string;
  /** Page refresh interval (ms). Default 2000. */
  refreshMs?: number;
  /** How long one snapshot of the counts is reused, so many open pages cost one set of queries (ms). Default 1000. */
  cacheMs?: number;
}

/**
 * Registers `GET /` (the page) and `GET /live-map/counts` (JSON), and adds the engine's connector
 * counters to the ingest metrics registry so `/metrics` shows them too.
 */
export function registerLiveMap(app: FastifyInstance, options: LiveMapOptions): void {
  const { config, metrics, client } = options;
  const cacheMs = options.cacheMs ?? 1000;
  if (!metrics.registry.getSingleMetric(CONNECTOR_CALLS_METRIC)) metrics.registry.registerMetric(connectorCalls);
  const page = renderLiveMapPage(config, {
    // Stand-in clients (tests) may lack options.
    namespace: (client?.options as { namespace?: string } | undefined)?.namespace ?? 'default',
    refreshMs: options.refreshMs ?? 2000,
    ...(options.webUiUrl !== undefined && { webUiUrl: options.webUiUrl }),
  });

  let cached: { at: number; counts: Promise<LiveCounts> } | undefined;
  const snapshot = (): Promise<LiveCounts> => {
    const now = performance.now();
    if (!cached || now - cached.at > cacheMs) {
      const counts = collectLiveCounts({
        config,
        metrics,
        ...(client && { client }),
        ...(options.taskQueue !== undefined && { taskQueue: options.taskQueue }),
      });
      cached = { at: now, counts };
      // A failed snapshot is not reused.
      counts.catch(() => {
        if (cached?.counts === counts) cached = undefined;
      });
    }
    return cached.counts;
  };

  const html = { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } };
  const counts = {
    description: 'Counts per entity type, rule and connector',
    content: { 'application/json': { schema: { type: 'object' } } },
  };
  app.get(
    '/',
    { schema: { summary: 'The live map of the configuration', tags: ['live map'], response: { 200: html } } },
    async (_request, reply) => reply.type('text/html; charset=utf-8').send(page),
  );
  app.get(
    '/live-map/counts',
    { schema: { summary: 'The live map’s counts', tags: ['live map'], response: { 200: counts } } },
    async (_request, reply) => reply.header('cache-control', 'no-store').send(await snapshot()),
  );
}
