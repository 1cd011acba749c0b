/**
 * The ingest API: a Fastify server that takes CloudEvents from configured sources and hands them to
 * Temporal, plus entity inspection, health, metrics and docs. Built, not started: call `listen` (or
 * `inject` in tests), and `close()` to drain — it stops taking requests, finishes in-flight ones, then
 * flushes delivery.
 */
import type { ProblemCode } from '../contract/problems.js';
import type { Client } from '@temporalio/client';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import Fastify, { LogController } from 'fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { EventDeliverer } from '../client/delivery.js';
import { asEngineUnavailable } from '../client/engine-unavailable-error.js';
import type { CompiledConfig } from '../config/compiled.js';
import { registerLiveMap } from '../live-map/live-map-routes.js';
import { renderDocsPage } from './docs-page.js';
import { registerEntityRoutes } from './entity-routes.js';
import { createEventValidator } from '../config/event-validator.js';
import { registerEventsRoute } from './events-route.js';
import { Registry } from 'prom-client';
import { engineMetricsRegistry } from '../metrics/engine-metrics.js';
import { createIngestMetrics } from './ingest-metrics.js';
import type { IngestMetrics } from './ingest-metrics.js';
import { jsonResponse, registerOpenApi } from './openapi-document.js';
import { answerUndeclaredMethods } from './method-not-allowed.js';
import { operatorRoutes } from './operator-routes.js';
import { problem, sendProblem } from './problem-details.js';
import { SourceAuthenticator } from './source-authenticator.js';
import { SourceRateLimiter } from './source-rate-limiter.js';
import { sourcesRoutes } from './sources-route.js';
import { operationsRoutes } from './operations-routes.js';
import { registerPauseMetrics } from '../operations/pause-metrics.js';
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
  webUiUrl?: string | undefined;
  /**
   * Local development on the embedded server: open sources and open /entities are then the expected
   * set-up and logged at info; anywhere else they are warnings.
   */
  localDevelopment?: boolean;
  /**
   * The engine's task queue: replays (`POST /events/replay`) start their workflows there, and bulk redrives
   * (`POST /dead-letters/redrive`) touch only the entities on it.
   */
  taskQueue?: string;
  /** Receives every verified native webhook request as a recorded line (see sources/recorded-request.ts). */
  recordRequest?: (record: RecordedRequest) => void;
}

/** Builds the ingest server (not listening). Throws IngestSetupError when a source's secret is missing. */
export function buildIngestServer(options: IngestServerOptions): FastifyInstance {
  const { config, delivery, logger } = options;
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  const metrics = options.metrics ?? createIngestMetrics();
  if (options.client) registerPauseMetrics(metrics.registry, options.client, config);
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
  // Route schemas document bodies and responses for the OpenAPI document; Fastify validates parameters,
  // query strings and headers with them. Bodies stay raw bytes checked by the routes (signatures first,
  // then per-event problems), and replies are sent as built, not filtered by a response serializer.
  // Fastify's own defaults for parameters (coercion from text, defaults, extra fields dropped).
  const ajv = new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: true, allErrors: false });
  addFormatsModule.default(ajv);
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? () => true : ajv.compile(schema)));
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  registerOpenApi(app, config, validator);
  const allowedMethods = answerUndeclaredMethods(app);

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
    // No route: what failed (e.g. a QUERY without a content type) does not matter; the path has no such method.
    if (request.is404) return notFound(request, reply);
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
    // A route may name the problem its schema refusals are (operator-routes.ts: BAD_FILTER).
    const named = (request.routeOptions.config as { validationProblem?: { code: ProblemCode; title: string } })
      .validationProblem;
    if (status === 400 && error.validation && named)
      return sendProblem(reply, problem(400, named.code, named.title, error.message));
    if (status < 500) return sendProblem(reply, problem(status, 'BAD_REQUEST', 'Bad request', error.message));
    request.log.error({ err: error }, 'unexpected error in the ingest API');
    return sendProblem(
      reply,
      problem(500, 'INTERNAL', 'Internal error', 'an unexpected error occurred; it was logged'),
    );
  });
  const notFound = (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = allowedMethods(path);
    if (allowed.length > 0) {
      reply.header('allow', allowed.join(', '));
      return sendProblem(
        reply,
        problem(
          405,
          'METHOD_NOT_ALLOWED',
          'Method not allowed',
          `${request.method} is not allowed on ${path}; use ${allowed.join(', ')}`,
        ),
      );
    }
    return sendProblem(reply, problem(404, 'NOT_FOUND', 'Not found', `no route ${request.method} ${path}`));
  };
  app.setNotFoundHandler(notFound);

  // One plugin per area; each route carries its schema, from which /openapi.json is generated.
  void app.register(async (events) =>
    registerEventsRoute(events, {
      config,
      delivery,
      validator,
      authenticator,
      rateLimiter,
      metrics,
      maxBatch: options.maxBatch ?? 100,
      maxEventBytes: options.maxEventBytes ?? 64 * 1024,
    }),
  );
  void app.register(sourcesRoutes, {
    config,
    sources: webhookSources,
    delivery,
    validator,
    rateLimiter,
    metrics,
    maxEventBytes: options.maxEventBytes ?? 64 * 1024,
    ...(options.recordRequest && { recordRequest: options.recordRequest }),
  });
  void app.register(async (entities) =>
    registerEntityRoutes(entities, {
      config,
      ...(options.client ? { client: options.client } : {}),
      ...(options.adminApiKey ? { adminApiKey: options.adminApiKey } : {}),
      timeoutMs: queryTimeoutMs,
    }),
  );

  void app.register(operatorRoutes, {
    ...(options.client && { client: options.client }),
    ...(options.adminApiKey !== undefined && { adminApiKey: options.adminApiKey }),
    ...(options.taskQueue !== undefined && { taskQueue: options.taskQueue }),
  });
  void app.register(operationsRoutes, {
    config,
    ...(options.client && { client: options.client }),
    ...(options.taskQueue !== undefined && { taskQueue: options.taskQueue }),
    ...(options.adminApiKey !== undefined && { adminApiKey: options.adminApiKey }),
  });
  void app.register(async (liveMap) =>
    registerLiveMap(liveMap, {
      config,
      metrics,
      ...(options.client && { client: options.client }),
      ...(options.taskQueue !== undefined && { taskQueue: options.taskQueue }),
      ...(options.webUiUrl !== undefined && { webUiUrl: options.webUiUrl }),
    }),
  );
  void app.register(async (probes) =>
    registerProbes(probes, { config, metrics, queryTimeoutMs, client: options.client }),
  );
  const docsPage = renderDocsPage(config);
  void app.register(async (docs) => {
    docs.get('/openapi.json', { schema: OPENAPI_ROUTE }, async () => app.swagger());
    docs.get('/docs', { schema: DOCS_ROUTE }, async (_request, reply) =>
      reply.type('text/html; charset=utf-8').send(docsPage),
    );
  });
  return app;
}

const OPENAPI_ROUTE = {
  summary: 'This OpenAPI 3.1 document, generated from the route schemas',
  response: { 200: jsonResponse('The document') },
};
const DOCS_ROUTE = {
  summary: 'The API docs page: sources, event types, problem codes',
  response: { 200: { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } } },
};
const HEALTH_ROUTE = {
  summary: 'Liveness',
  response: { 200: jsonResponse('Alive', { type: 'object', properties: { status: { const: 'ok' } } }) },
};
const READY_ROUTE = {
  summary: 'Readiness: Temporal reachable, config loaded',
  response: {
    200: jsonResponse('Ready', { type: 'object', required: ['status', 'checks'] }),
    503: jsonResponse('Not ready (Retry-After)', { type: 'object', required: ['status', 'checks'] }),
  },
};
const METRICS_ROUTE = {
  summary: 'Prometheus metrics',
  response: { 200: { description: 'text exposition', content: { 'text/plain': { schema: { type: 'string' } } } } },
};

/** GET /healthz, /readyz and /metrics. */
function registerProbes(
  app: FastifyInstance,
  {
    config,
    metrics,
    queryTimeoutMs,
    client,
  }: { config: CompiledConfig; metrics: IngestMetrics; queryTimeoutMs: number; client: Client | undefined },
): void {
  app.get('/healthz', { schema: HEALTH_ROUTE }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: READY_ROUTE }, async (_request, reply) => {
    const checks = { config: config.version, temporal: 'unknown' };
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
  // The ingest API's metrics, and the process's engine metrics (connector calls, Kafka sources) beside them.
  app.get('/metrics', { schema: METRICS_ROUTE }, async (_request, reply) => {
    const served = Registry.merge([metrics.registry, engineMetricsRegistry]);
    return reply.type(served.contentType).send(await served.metrics());
  });
}
