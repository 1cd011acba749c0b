/**
 * POST /events: parse (CloudEvents HTTP binding) → identify and authenticate the source → rate limit →
 * validate each event → deliver (signal-with-start, or update-with-start when the caller waits).
 * A 2xx answer means Temporal holds the event.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EventProblem, ProblemCode } from '../contract/problems.js';
import { EngineUnavailableError } from '../client/engine-unavailable-error.js';
import type { EventDeliverer } from '../client/delivery.js';
import type { CompiledConfig } from '../config/compiled.js';
import type { DeliveryResult, EngineEvent, EntityRef, ReachedResult } from '../rules/types.js';
import { entityWorkflowId } from '../rules/routing.js';
import { BATCH_MEDIA_TYPE, STRUCTURED_MEDIA_TYPE, parseCloudEventsRequest } from './cloudevents-http.js';
import { WAIT_PARAMETER, anyEventSchema, batchSchema, jsonResponse, problemResponse } from './openapi-document.js';
import type { ContentMode } from './cloudevents-http.js';
import type { EventValidator, RejectionKind } from '../config/event-validator.js';
import type { IngestMetrics } from './ingest-metrics.js';
import { problem, PROBLEM_MEDIA_TYPE, sendProblem } from './problem-details.js';
import type { SourceAuthenticator } from './source-authenticator.js';
import type { SourceRateLimiter } from './source-rate-limiter.js';

export interface EventsRouteDeps {
  config: CompiledConfig;
  delivery: EventDeliverer;
  validator: EventValidator;
  authenticator: SourceAuthenticator;
  rateLimiter: SourceRateLimiter;
  metrics: IngestMetrics;
  maxBatch: number;
  maxEventBytes: number;
}

/** One event's answer in a batch response (and, for single events, the 2xx body). */
export interface EventOutcome {
  index: number;
  id?: string;
  type?: string;
  status: 'accepted' | 'duplicate' | 'rejected' | 'unavailable';
  entity?: EntityRef;
  workflowId?: string;
  /** Rules fired (only when the caller waited for the workflow's answer). */
  fired?: string[];
  /**
   * Every entity the event reached, `entity` first, when its type reaches several (`alsoReaches`); with each
   * entity's own status, rules fired and reason when the caller waited.
   */
  reached?: Array<
    { entity: EntityRef; workflowId: string } & Partial<Pick<ReachedResult, 'status' | 'fired' | 'reason'>>
  >;
  reason?: string;
  code?: ProblemCode;
  problems?: EventProblem[];
  /** When unavailable: seconds after which a retry may succeed. */
  retryAfterSeconds?: number;
}

/** HTTP status, code and title for each kind of validation refusal (shared with POST /sources/<name>). */
export const KIND_STATUS: Record<RejectionKind, { status: number; code: ProblemCode; title: string }> = {
  envelope: { status: 400, code: 'INVALID_EVENT', title: 'Invalid event' },
  'unknown-source': { status: 400, code: 'UNKNOWN_SOURCE', title: 'Unknown source' },
  forbidden: { status: 403, code: 'SOURCE_NOT_ALLOWED', title: 'Source not allowed' },
  'unknown-type': { status: 422, code: 'UNKNOWN_EVENT_TYPE', title: 'Unknown event type' },
  data: { status: 422, code: 'DATA_INVALID', title: 'Event data does not match its schema' },
  routing: { status: 422, code: 'NO_CORRELATION_KEY', title: 'Event cannot be routed to an entity' },
};

// Request state shared with the server's onResponse hook (metrics and the log line).
declare module 'fastify' {
  interface FastifyRequest {
    huntSource?: string;
    huntEventIds?: string[];
  }
}

/** Registers POST /events on the server. */
export function registerEventsRoute(app: FastifyInstance, deps: EventsRouteDeps): void {
  app.post('/events', { schema: eventsRouteSchema(deps) }, async (request, reply) =>
    handleEvents(deps, request, reply),
  );
}

/** POST /events in the OpenAPI document: the three content modes, with one schema per configured type. */
function eventsRouteSchema(deps: EventsRouteDeps) {
  const anyEvent = anyEventSchema(deps.config);
  return {
    summary: 'Send one event (structured or binary mode) or a batch',
    description:
      'Structured: a CloudEvent as JSON. Binary: the data as the body, attributes in `ce-*` headers. ' +
      `Batch: a JSON array of 1–${deps.maxBatch} events. Authenticated as the events' source says.`,
    tags: ['events'],
    querystring: { type: 'object', properties: { wait: WAIT_PARAMETER } },
    body: {
      content: {
        [STRUCTURED_MEDIA_TYPE]: { schema: anyEvent },
        'application/json': { schema: anyEvent },
        // The most events per batch is in the description: past it the answer is 413, not a schema refusal.
        [BATCH_MEDIA_TYPE]: { schema: batchSchema(deps.config) },
      },
    },
    response: {
      200: jsonResponse('Waited: the entity’s answer (accepted, duplicate or rejected; rules fired)'),
      202: jsonResponse('Accepted: durable in Temporal (a batch: every event taken)'),
      207: jsonResponse('Batch: some events taken, some not; see `results`'),
      400: problemResponse('Malformed request or envelope'),
      401: problemResponse('Authentication failed'),
      403: problemResponse('Source not allowed to send this type'),
      409: problemResponse('Replayed webhook-id'),
      413: problemResponse('Too large'),
      415: problemResponse('Unsupported content type'),
      422: problemResponse('Unknown type, invalid data, no correlation key, or every batch event rejected'),
      429: problemResponse('Rate limited (Retry-After)'),
      503: problemResponse('Temporal unavailable (Retry-After); nothing acknowledged'),
    },
  };
}

async function handleEvents(
  deps: EventsRouteDeps,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const parsed = parseCloudEventsRequest(request.headers, rawBody, { maxBatch: deps.maxBatch });
  if (!parsed.ok) {
    return sendProblem(
      reply,
      problem(parsed.status, parsed.code, parsed.title, summarize(parsed.problems), parsed.problems),
    );
  }
  const { mode, candidates } = parsed;
  if (mode !== 'batch' && rawBody.length > deps.maxEventBytes) {
    const detail = `the event is ${rawBody.length} bytes; at most ${deps.maxEventBytes} are allowed per event`;
    return sendProblem(reply, problem(413, 'EVENT_TOO_LARGE', 'Event too large', detail, [{ pointer: '', detail }]));
  }

  // Which source? Read only the `source` attribute now; nothing else is trusted before authentication.
  const claimed = new Set(candidates.map(sourceOf).filter((s): s is string => s !== undefined));
  if (claimed.size === 0) {
    const errors = candidates.map((_, i) => ({
      ...pointerIn(mode, i, '/source'),
      detail: 'the source attribute is missing',
    }));
    return sendProblem(
      reply,
      problem(400, 'MISSING_SOURCE', 'Missing source', 'every event must name its source', errors),
    );
  }
  if (claimed.size > 1) {
    return sendProblem(
      reply,
      problem(
        400,
        'MIXED_SOURCES',
        'Mixed sources',
        `all events of one request must share one source; got ${[...claimed].join(', ')}`,
      ),
    );
  }
  const source = [...claimed][0]!;
  if (!deps.config.sources[source]) {
    return sendProblem(
      reply,
      problem(400, 'UNKNOWN_SOURCE', 'Unknown source', `unknown source "${source}"; it must name a configured source`),
    );
  }
  const auth = deps.authenticator.authenticate(source, request.headers, rawBody);
  if (!auth.ok) return sendProblem(reply, problem(auth.status, auth.code, 'Authentication failed', auth.detail));
  request.huntSource = source;

  let accepted = false;
  try {
    const waitSeconds = deps.rateLimiter.take(source);
    if (waitSeconds > 0) {
      reply.header('retry-after', String(waitSeconds));
      return sendProblem(
        reply,
        problem(
          429,
          'RATE_LIMITED',
          'Too many requests',
          `source "${source}" is over its rate limit; retry in ${waitSeconds}s`,
        ),
      );
    }
    const wait = wantsWait(request);
    const outcomes = await Promise.all(
      candidates.map((candidate, index) => deliverOne(deps, mode, index, candidate, source, wait)),
    );
    request.huntEventIds = outcomes.flatMap((o) => (o.id ? [o.id] : []));
    for (const outcome of outcomes) {
      const type = outcome.type && deps.config.events[outcome.type] ? outcome.type : 'unknown';
      deps.metrics.events.inc({ type, outcome: outcome.status });
    }
    accepted = outcomes.every((o) => o.status !== 'unavailable') && outcomes.some((o) => o.status !== 'rejected');
    return mode === 'batch' ? answerBatch(reply, outcomes) : answerSingle(reply, outcomes[0]!, wait);
  } finally {
    auth.settle(accepted);
  }
}

async function deliverOne(
  deps: EventsRouteDeps,
  mode: ContentMode,
  index: number,
  candidate: unknown,
  source: string,
  wait: boolean,
): Promise<EventOutcome> {
  const id = attribute(candidate, 'id');
  const type = attribute(candidate, 'type');
  const base: EventOutcome = { index, status: 'rejected', ...(id ? { id } : {}), ...(type ? { type } : {}) };
  if (mode === 'batch' && Buffer.byteLength(JSON.stringify(candidate)) > deps.maxEventBytes) {
    const detail = `the event is larger than ${deps.maxEventBytes} bytes`;
    return { ...base, code: 'EVENT_TOO_LARGE', reason: detail, problems: [{ pointer: `/${index}`, detail }] };
  }
  const result = deps.validator.validate(candidate, source);
  if (!result.ok) {
    const { code } = KIND_STATUS[result.kind];
    const problems = result.problems.map((p) => ({ ...pointerIn(mode, index, p.pointer), detail: p.detail }));
    return { ...base, code, reason: summarize(problems), problems };
  }
  const { event, entity, entities } = result;
  const routed: EventOutcome = {
    ...base,
    entity,
    workflowId: entityWorkflowId(entity),
    ...(entities.length > 1 && { reached: entities.map((e) => ({ entity: e, workflowId: entityWorkflowId(e) })) }),
  };
  try {
    if (!wait) {
      await deps.delivery.send([event]);
      return { ...routed, status: 'accepted' };
    }
    const [answer] = await deps.delivery.publish([event]);
    return fromDeliveryResult(routed, answer, event);
  } catch (err) {
    if (err instanceof EngineUnavailableError) {
      return {
        ...routed,
        status: 'unavailable',
        code: err.code,
        reason: err.message,
        retryAfterSeconds: err.retryAfterSeconds,
      };
    }
    throw err;
  }
}

function fromDeliveryResult(
  routed: EventOutcome,
  answer: DeliveryResult | undefined,
  event: EngineEvent,
): EventOutcome {
  if (!answer)
    return { ...routed, status: 'rejected', reason: `no answer from the entity workflow for event ${event.id}` };
  const reached = routed.reached?.map((r) => {
    const own = answer.reached?.find((a) => a.workflowId === r.workflowId);
    return own ? { ...r, status: own.status, fired: own.fired, ...(own.reason ? { reason: own.reason } : {}) } : r;
  });
  return {
    ...routed,
    status: answer.status,
    fired: answer.fired,
    ...(answer.reason ? { reason: answer.reason } : {}),
    ...(reached && { reached }),
  };
}

function answerSingle(reply: FastifyReply, outcome: EventOutcome, wait: boolean): FastifyReply {
  if (outcome.status === 'unavailable') {
    return unavailable(reply, outcome.reason ?? 'Temporal is unavailable', outcome.retryAfterSeconds, outcome.code);
  }
  if (outcome.status === 'rejected' && outcome.problems) {
    const kind = Object.values(KIND_STATUS).find((k) => k.code === outcome.code);
    const status = kind?.status ?? 413;
    const title = kind?.title ?? 'Event too large';
    return sendProblem(
      reply,
      problem(status, outcome.code ?? 'INVALID_EVENT', title, outcome.reason ?? title, outcome.problems),
    );
  }
  // Waited: 200 with the workflow's answer (accepted, duplicate, or rejected by the workflow). Else 202: durable.
  const { index: _index, problems: _problems, ...body } = outcome;
  return reply.code(wait ? 200 : 202).send(body);
}

/**
 * Batch status: 202 every event taken; 207 some taken and some not (see `results`); 503 when Temporal took
 * none of the valid events; 422 (problem+json, with `results`) when every event was rejected.
 */
function answerBatch(reply: FastifyReply, outcomes: EventOutcome[]): FastifyReply {
  const count = (status: EventOutcome['status']) => outcomes.filter((o) => o.status === status).length;
  const taken = count('accepted') + count('duplicate');
  const body = {
    accepted: count('accepted'),
    duplicate: count('duplicate'),
    rejected: count('rejected'),
    unavailable: count('unavailable'),
    results: outcomes,
  };
  const unavailableCount = count('unavailable');
  if (unavailableCount > 0) reply.header('retry-after', String(retryAfterOf(outcomes)));
  if (taken === outcomes.length) return reply.code(202).send(body);
  if (taken === 0 && unavailableCount > 0) {
    return sendProblem(
      reply,
      problem(
        503,
        'ENGINE_UNAVAILABLE',
        'Engine unavailable',
        'Temporal did not take the events; nothing was acknowledged — retry the batch',
        undefined,
        body,
      ),
    );
  }
  if (taken === 0) {
    const errors = outcomes.flatMap((o) => o.problems ?? []);
    return reply
      .code(422)
      .type(PROBLEM_MEDIA_TYPE)
      .send(problem(422, 'BATCH_REJECTED', 'Every event was rejected', summarize(errors), errors, body));
  }
  return reply.code(207).send(body);
}

function unavailable(reply: FastifyReply, detail: string, seconds = 5, code?: string): FastifyReply {
  reply.header('retry-after', String(seconds));
  if (code === 'ENTITY_NOT_RUNNING')
    return sendProblem(reply, problem(503, 'ENTITY_NOT_RUNNING', 'Entity not running', detail));
  return sendProblem(reply, problem(503, 'ENGINE_UNAVAILABLE', 'Engine unavailable', detail));
}

function retryAfterOf(outcomes: EventOutcome[]): number {
  return Math.max(1, ...outcomes.map((o) => o.retryAfterSeconds ?? 1));
}

export function wantsWait(request: FastifyRequest): boolean {
  const query = request.query as Record<string, unknown> | undefined;
  const prefer = request.headers.prefer;
  const preferText = Array.isArray(prefer) ? prefer.join(',') : (prefer ?? '');
  return query?.wait === 'true' || query?.wait === '' || /(^|[,;\s])wait\b/i.test(preferText);
}

/** Where a problem points: into the body (batch index prefix), or at the ce-* header in binary mode. */
function pointerIn(mode: ContentMode, index: number, pointer: string): { pointer: string; header?: string } {
  if (mode === 'batch') return { pointer: `/${index}${pointer}` };
  if (mode === 'structured') return { pointer };
  if (pointer === '/data' || pointer.startsWith('/data/')) return { pointer: pointer.slice('/data'.length) };
  const attribute = pointer.split('/')[1];
  return attribute
    ? { pointer: '', header: attribute === 'datacontenttype' ? 'content-type' : `ce-${attribute}` }
    : { pointer };
}

function attribute(candidate: unknown, name: string): string | undefined {
  if (candidate === null || typeof candidate !== 'object') return undefined;
  const value = (candidate as Record<string, unknown>)[name];
  return typeof value === 'string' && value.length > 0 && value.length <= 200 ? value : undefined;
}

function sourceOf(candidate: unknown): string | undefined {
  return attribute(candidate, 'source');
}

export function summarize(problems: EventProblem[]): string {
  const first = problems.slice(0, 5).map((p) => `${p.header ?? (p.pointer || '/')}: ${p.detail}`);
  return problems.length > 5 ? `${first.join('; ')}; and ${problems.length - 5} more` : first.join('; ');
}
