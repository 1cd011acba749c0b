/**
 * The ingest API: a Fastify server that takes CloudEvents from configured sources and hands them to
 * Temporal, plus entity inspection, health, metrics and docs. Built, not started: call `listen` (or
 * `inject` in tests), and `close()` to drain — it stops taking requests, finishes in-flight ones, then
 * flushes delivery.
 */
import type { Client } from '@temporalio/client';
import Fastify, { LogController } from 'fastify';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { EventDeliverer } from '../client/delivery.js';
import { asEngineUnavailable } from '../client/engine-unavailable-error.js';
import type { CompiledConfig } from '../config/compiled.js';
import { registerLiveMap } from '../live-map/live-map-routes.js';
import { renderDocsPage } from './docs-page.js';
import { registerEntityRoutes } from './entity-routes.js';
import { createEventValidator } from '../config/event-validator.js';
import { registerEventsRoute } from './events-route.js';
import { createIngestMetrics } from './ingest-metrics.js';
import type { IngestMetrics } from './ingest-metrics.js';
import { buildOpenApiDocument } from './openapi-document.js';
import { operatorRoutes } from './operator-routes.js';
import { problem, sendProblem } from './problem-details.js';
import { SourceAuthenticator } from './source-authenticator.js';
import { SourceRateLimiter } from './source-rate-limiter.js';
import { sourcesRoutes } from './sources-route.js';
import { buildWebhookSources } from './sources/webhook-sources.js';
import type { RecordedRequest } from './sources/recorded-request.js';

export interface IngestServerOptions {
  config: CompiledConfig;
  delivery: EventDeliverer;
  logger: Logger;
  /** Where source secrets are read from (e.g. process.env, passed in by the entry point). */
  env: Record<string, string | undefined>;
  /** Temporal client for entity queries and readiness; without it those answer 503. */
  client?: Client;
  /** Largest request body in bytes. Default 1 MiB. */
  bodyLimit?: number;
  /** Largest single event in bytes. Default 64 KiB. */
  maxEventBytes?: number;
  /** Most events in one batch. Default 100. */
  maxBatch?: number;
  /** Metrics to record into; by default a fresh registry (read it from `metrics.registry`). */
  metrics?: IngestMetrics;
  /** Bearer token required by the /entities endpoints; unset leaves them open (warned at startup). */
  adminApiKey?: string;
  /** Deadline for entity queries/updates and the readiness probe (ms). Default 5000. */
  queryTimeoutMs?: number;
  /** Clock for webhook replay memo and rate limits (tests). */
  now?: () => number;
  /** Temporal Web UI base URL, for the live map's links. */
  webUiUrl?: string;
  /**
   * Local development on the embedded server: open sources and open /entities are then the expected
   * set-up and logged at info; anywhere else they are warnings.
   */
  localDevelopment?: boolean;
  /** Receives every verified native webhook request as a recorded line (see sources/recorded-request.ts). */
  recordRequest?: (record: RecordedRequest) => void;
}

/** Builds the ingest server (not listening). Throws IngestSetupError when a source's secret is missing. */
export function buildIngestServer(options: IngestServerOptions): FastifyInstance {
  const { config, delivery, logger } = options;
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  const metrics = options.metrics ?? createIngestMetrics();
  const queryTimeoutMs = options.queryTimeoutMs ?? 5000;
  const now = options.now ?? Date.now;
  // Everything that can fail on configuration fails here, at startup, not on the first request.
  const validator = createEventValidator(config);
  const authenticator = new SourceAuthenticator(config, options.env, { now });
  const webhookSources = buildWebhookSources(config, options.env, now);
  const rateLimiter = new SourceRateLimiter(
    Object.fromEntries(Object.values(config.sources).map((s) => [s.name, s.rateLimit])),
    now,
  );
  const notice = options.localDevelopment ? logger.info.bind(logger) : logger.warn.bind(logger);
  for (const source of authenticator.unauthenticatedSources) {
    notice({ source }, `source "${source}" has auth "none": anyone who can reach the ingest API can send its events`);
  }
  if (!options.adminApiKey) notice('no admin API key: the /entities endpoints are open to anyone who can reach them');

  const app = Fastify({
    loggerInstance: logger,
    bodyLimit,
    // The onResponse hook logs one line per request, with the source and event ids.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: false,
  }) as unknown as FastifyInstance;

  // Keep every body as raw bytes: signatures are computed over them, and the route parses JSON itself.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (!closing) return;
    reply.header('retry-after', '5').header('connection', 'close');
    return sendProblem(
      reply,
      problem(503, 'ENGINE_UNAVAILABLE', 'Shutting down', 'the ingest API is shutting down; retry shortly'),
    );
  });
  // Answers finishing during the drain close their keep-alive connection, or close() would wait on it.
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('onClose', async () => {
    await delivery.flush();
  });

  const started = new WeakMap<object, number>();
  app.addHook('onRequest', async (request) => {
    started.set(request, performance.now());
  });
  app.addHook('onResponse', async (request, reply) => {
    const labels = {
      route: request.routeOptions.url ?? 'unmatched',
      method: request.method,
      status: String(reply.statusCode),
      source: request.huntSource ?? 'none',
    };
    metrics.requests.inc(labels);
    const start = started.get(request);
    if (start !== undefined) metrics.requestSeconds.observe(labels, (performance.now() - start) / 1000);
    const line = { ...labels, eventIds: request.huntEventIds, reqId: request.id };
    if (reply.statusCode >= 500) request.log.error(line, 'request failed');
    else request.log.info(line, 'request answered');
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const unavailable = asEngineUnavailable(error);
    if (unavailable) {
      reply.header('retry-after', String(unavailable.retryAfterSeconds));
      return sendProblem(reply, problem(503, unavailable.code, 'Engine unavailable', unavailable.message));
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendProblem(
        reply,
        problem(413, 'BODY_TOO_LARGE', 'Body too large', `the body is over ${bodyLimit} bytes`),
      );
    }
    const status =
      typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500
        ? error.statusCode
        : 500;
    if (status === 415) {
      return sendProblem(reply, problem(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type', error.message));
    }
    if (status < 500) return sendProblem(reply, problem(status, 'BAD_REQUEST', 'Bad request', error.message));
    request.log.error({ err: error }, 'unexpected error in the ingest API');
    return sendProblem(
      reply,
      problem(500, 'INTERNAL', 'Internal error', 'an unexpected error occurred; it was logged'),
    );
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      problem(404, 'NOT_FOUND', 'Not found', `no route ${request.method} ${request.url.split('?')[0]}`),
    ),
  );

  registerEventsRoute(app, {
    config,
    delivery,
    validator,
    authenticator,
    rateLimiter,
    metrics,
    maxBatch: options.maxBatch ?? 100,
    maxEventBytes: options.maxEventBytes ?? 64 * 1024,
  });
  app.register(sourcesRoutes, {
    config,
    sources: webhookSources,
    delivery,
    validator,
    rateLimiter,
    metrics,
    maxEventBytes: options.maxEventBytes ?? 64 * 1024,
    ...(options.recordRequest && { recordRequest: options.recordRequest }),
  });
  registerEntityRoutes(app, {
    config,
    ...(options.client ? { client: options.client } : {}),
    ...(options.adminApiKey ? { adminApiKey: options.adminApiKey } : {}),
    timeoutMs: queryTimeoutMs,
  });

  void app.register(operatorRoutes, {
    ...(options.client && { client: options.client }),
    adminApiKey: options.adminApiKey,
  });
  registerLiveMap(app, {
    config,
    metrics,
    ...(options.client && { client: options.client }),
    webUiUrl: options.webUiUrl,
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const checks = { config: config.version, temporal: 'unknown' };
    const client = options.client;
    if (client) {
      try {
        // The cheapest call that proves the frontend answers for real.
        await client.connection.withDeadline(Date.now() + queryTimeoutMs, () =>
          client.workflowService.getSystemInfo({}),
        );
        checks.temporal = 'serving';
      } catch (err) {
        checks.temporal = `unreachable: ${err instanceof Error ? err.message : String(err)}`;
      }
    } else {
      checks.temporal = 'no client configured';
    }
    if (checks.temporal === 'serving') return { status: 'ready', checks };
    reply.header('retry-after', '5');
    return reply.code(503).send({ status: 'not ready', checks });
  });
  app.get('/metrics', async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  const openApi = buildOpenApiDocument(config);
  const docsPage = renderDocsPage(config);
  app.get('/openapi.json', async () => openApi);
  app.get('/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(docsPage));
  return app;
}
