/**
 * POST /sources/<name>: native webhooks, as the sender sends them. Verify the signature over the raw
 * bytes (401, nothing reaches Temporal) → parse the body (JSON, form, text) → answer what the preset must
 * answer (GitHub ping, Slack url_verification) → rate limit → map to an event with the source's CEL →
 * validate and route like POST /events → deliver. The sender's delivery id is the event id, so a
 * redelivery is a duplicate in the entity. A 2xx means Temporal holds the event (or that the
 * configuration ignores its type); Temporal unreachable is 503 with Retry-After, which senders retry.
 */
import type { ProblemCode } from '../contract/problems.js';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { EngineUnavailableError } from '../client/engine-unavailable-error.js';
import type { EventDeliverer } from '../client/delivery.js';
import type { CompiledConfig } from '../config/compiled.js';
import type { EngineEvent, EntityRef } from '../rules/types.js';
import { entityWorkflowId } from '../rules/routing.js';
import type { EventValidator } from '../config/event-validator.js';
import { KIND_STATUS, summarize, wantsWait } from './events-route.js';
import type { IngestMetrics } from './ingest-metrics.js';
import { problem, sendProblem } from './problem-details.js';
import type { SourceRateLimiter } from './source-rate-limiter.js';
import { nativeRequestOf, parseNativeBody } from './sources/native-request.js';
import { mapNativeRequest } from './sources/webhook-mapper.js';
import { recordOf } from './sources/recorded-request.js';
import type { RecordedRequest } from './sources/recorded-request.js';
import type { WebhookSource } from './sources/webhook-sources.js';
import { webhookRouteSchema } from './sources/webhook-openapi.js';

export interface SourcesRouteOptions {
  config: CompiledConfig;
  sources: Map<string, WebhookSource>;
  delivery: EventDeliverer;
  validator: EventValidator;
  rateLimiter: SourceRateLimiter;
  metrics: IngestMetrics;
  maxEventBytes: number;
  /** Called with every verified request (HUNT_RECORD_REQUESTS), for `hunt simulate --requests`. */
  recordRequest?: (record: RecordedRequest) => void;
}

/** The native webhook routes, as a Fastify plugin: one documented route per source, and 404 for other names. */
export const sourcesRoutes: FastifyPluginAsync<SourcesRouteOptions> = async (app, options) => {
  for (const source of options.sources.values()) {
    app.post(`/sources/${source.name}`, { schema: webhookRouteSchema(source) }, async (request, reply) =>
      handleNative(options, source, request, reply),
    );
  }
  app.post(
    '/sources/:name',
    {
      schema: { hide: true, params: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } },
    },
    async (request, reply) => {
      const { name } = request.params as { name: string };
      const webhooks = [...options.sources.keys()];
      const known =
        webhooks.length > 0 ? `sources taking webhooks: ${webhooks.join(', ')}` : 'no source takes webhooks';
      return sendProblem(
        reply,
        problem(404, 'UNKNOWN_SOURCE', 'Unknown source', `no source "${name}" takes native webhooks here; ${known}`),
      );
    },
  );
};

async function handleNative(
  deps: SourcesRouteOptions,
  source: WebhookSource,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const name = source.name;
  const native = nativeRequestOf(request);
  // Twilio signs the parsed form fields; every other preset the raw bytes, before anything is parsed.
  if (!source.preset.verifiesParsedBody) {
    const verified = source.verify(native, null);
    if (!verified.ok) return refuseSignature(reply, name, verified.code, verified.detail);
  }
  const parsed = parseNativeBody(native);
  if (!parsed.ok) {
    if (source.preset.verifiesParsedBody) return refuseSignature(reply, name, 'BAD_SIGNATURE', parsed.detail);
    const code = parsed.status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'MALFORMED_BODY';
    return sendProblem(
      reply,
      problem(parsed.status, code, 'Unreadable body', parsed.detail, [{ pointer: '', detail: parsed.detail }]),
    );
  }
  const body = parsed.body;
  if (source.preset.verifiesParsedBody) {
    const verified = source.verify(native, body);
    if (!verified.ok) return refuseSignature(reply, name, verified.code, verified.detail);
  }
  request.huntSource = name;
  deps.recordRequest?.(recordOf(name, native, Date.now()));

  const answer = source.preset.answer?.(native, body);
  if (answer) {
    deps.metrics.webhooks.inc({ source: name, native_type: answer.reason, outcome: 'answered' });
    if (answer.contentType) reply.type(answer.contentType);
    return reply.code(answer.status).send(answer.body);
  }

  const waitSeconds = deps.rateLimiter.take(name);
  if (waitSeconds > 0) {
    reply.header('retry-after', String(waitSeconds));
    return sendProblem(
      reply,
      problem(
        429,
        'RATE_LIMITED',
        'Too many requests',
        `source "${name}" is over its rate limit; retry in ${waitSeconds}s`,
      ),
    );
  }
  if (native.raw.length > deps.maxEventBytes) {
    const detail = `the request is ${native.raw.length} bytes; at most ${deps.maxEventBytes} are allowed per event`;
    return sendProblem(reply, problem(413, 'EVENT_TOO_LARGE', 'Event too large', detail, [{ pointer: '', detail }]));
  }

  const mapped = mapNativeRequest(name, source.webhook, source.mapping, native, body);
  const nativeType = mapped.nativeType ?? 'unknown';
  const count = (outcome: string) =>
    deps.metrics.webhooks.inc({ source: name, native_type: nativeType.slice(0, 100), outcome });
  if (mapped.kind === 'failed') {
    count('rejected');
    return sendProblem(
      reply,
      problem(422, 'MAPPING_FAILED', 'Webhook mapping failed', summarize(mapped.problems), mapped.problems),
    );
  }
  if (mapped.kind === 'unmapped') {
    if (source.webhook.unmapped === 'reject') {
      count('rejected');
      return sendProblem(
        reply,
        problem(
          422,
          'UNMAPPED_TYPE',
          'Native type not mapped',
          `${mapped.reason}; this source rejects unmapped types`,
          [{ pointer: '', detail: mapped.reason }],
        ),
      );
    }
    count('ignored');
    return reply.code(200).send({ status: 'ignored', nativeType: mapped.nativeType, reason: mapped.reason });
  }

  // Every event of the request must be valid before any is delivered: the sender retries the request whole.
  const routed: Array<{ id: string; type: string; nativeType: string; entity: EntityRef; workflowId: string }> = [];
  const events: EngineEvent[] = [];
  for (const [index, candidate] of mapped.candidates.entries()) {
    const result = deps.validator.validate(candidate, name);
    if (!result.ok) {
      count('rejected');
      const { status, code, title } = KIND_STATUS[result.kind];
      const which = mapped.each
        ? `mapped event ${index} (id ${typeof candidate.id === 'string' ? candidate.id : JSON.stringify(candidate.id)})`
        : 'the mapped event';
      return sendProblem(
        reply,
        problem(status, code, title, `${which}: ${summarize(result.problems)}`, result.problems, { nativeType }),
      );
    }
    events.push(result.event);
    const { event, entity } = result;
    routed.push({ id: event.id, type: event.type, nativeType, entity, workflowId: entityWorkflowId(entity) });
  }
  if (events.length === 0) {
    count('ignored');
    const reason = `events["${nativeType}"].each gave no items`;
    return reply.code(200).send({ status: 'ignored', nativeType, reason });
  }
  request.huntEventIds = events.map((e) => e.id);
  const wait = wantsWait(request);
  try {
    if (!wait) {
      await deps.delivery.send(events);
      count('mapped');
      for (const event of events) deps.metrics.events.inc({ type: event.type, outcome: 'accepted' });
      // A mapping with `each` answers the list; one event keeps the single-event shape.
      return reply
        .code(202)
        .send(mapped.each ? { status: 'accepted', nativeType, events: routed } : { status: 'accepted', ...routed[0] });
    }
    const outcomes = await deps.delivery.publish(events);
    count('mapped');
    const answers = routed.map((r, i) => {
      const outcome = outcomes[i];
      const status = outcome?.status ?? 'rejected';
      deps.metrics.events.inc({ type: r.type, outcome: status });
      return { status, ...r, fired: outcome?.fired ?? [], ...(outcome?.reason ? { reason: outcome.reason } : {}) };
    });
    if (!mapped.each) return reply.code(200).send(answers[0]);
    const status = answers.every((a) => a.status === answers[0]?.status) ? answers[0]!.status : 'mixed';
    return reply.code(200).send({ status, nativeType, events: answers });
  } catch (err) {
    if (!(err instanceof EngineUnavailableError)) throw err;
    for (const event of events) deps.metrics.events.inc({ type: event.type, outcome: 'unavailable' });
    reply.header('retry-after', String(err.retryAfterSeconds));
    return sendProblem(reply, problem(503, err.code, 'Engine unavailable', err.message));
  }
}

function refuseSignature(reply: FastifyReply, source: string, code: ProblemCode, detail: string): FastifyReply {
  return sendProblem(reply, problem(401, code, 'Authentication failed', `source "${source}": ${detail}`));
}
