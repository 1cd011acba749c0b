/** The ingest API's OpenAPI 3.1 document, generated from the configuration (one schema per event type). */
import type { CompiledConfig, JsonObject } from '../config/compiled.js';
import { BATCH_MEDIA_TYPE, STRUCTURED_MEDIA_TYPE } from './cloudevents-http.js';
import { webhookOpenApiPaths } from './sources/webhook-openapi.js';

/** Problem codes the API answers with, and when: listed on the docs page too. */
export const PROBLEM_CODES: Record<string, string> = {
  MALFORMED_BODY: '400 — the body is not valid UTF-8 JSON',
  INVALID_EVENT: '400 — the CloudEvents envelope is wrong (missing id/source/type, specversion not 1.0, bad time)',
  INVALID_BATCH: '400 — a batch that is not a non-empty JSON array',
  MISSING_SOURCE: '400 — no event names its source',
  MIXED_SOURCES: '400 — events of one request name different sources',
  UNKNOWN_SOURCE: '400 — the source is not configured (404 at POST /sources/<name>: no such webhook source)',
  MISSING_SIGNATURE: '401 — the source’s signature headers are missing',
  BAD_SIGNATURE: '401 — the signature does not match, or its timestamp is outside the 5-minute tolerance',
  MISSING_API_KEY: '401 — the source’s API key header is missing',
  BAD_API_KEY: '401 — the API key is wrong',
  STALE_SIGNATURE: '401 — a native webhook’s signed timestamp is outside the source’s tolerance (5 minutes by default)',
  WEBHOOK_ONLY_SOURCE: '401 — the source sends native webhooks to POST /sources/<name>, not CloudEvents here',
  ADMIN_AUTH_REQUIRED: '401 — entity endpoints need the admin bearer token',
  SOURCE_NOT_ALLOWED: '403 — the source may not send this event type',
  ENTITY_NOT_FOUND: '404 — no such entity',
  WEBHOOK_REPLAYED: '409 — this webhook-id was already accepted (replay refused)',
  EVENT_TOO_LARGE: '413 — one event is over the per-event limit (64 KiB by default)',
  BODY_TOO_LARGE: '413 — the body is over the request limit (1 MiB by default)',
  BATCH_TOO_LARGE: '413 — the batch holds more events than allowed (100 by default)',
  UNSUPPORTED_MEDIA_TYPE: '415 — not a CloudEvents content mode, or data that is not JSON',
  UNKNOWN_EVENT_TYPE: '422 — the event type is not configured',
  DATA_INVALID: '422 — the event’s data does not match its type’s JSON Schema',
  NO_CORRELATION_KEY: '422 — the entity key is missing from the event',
  BATCH_REJECTED: '422 — every event of the batch was rejected (see results)',
  REDRIVE_FAILED: '422 — the entity refused to re-run the dead letter',
  REPLAY_INVALID: '400 — a replay names no rule, or one the configuration does not have',
  CONNECTOR_UNKNOWN: '404 — no connector of that name in the configuration',
  RULE_UNKNOWN: '404 — no rule of that id in the configuration',
  RATE_LIMITED: '429 — the source is over its rate limit; honour Retry-After',
  ENGINE_UNAVAILABLE: '503 — Temporal did not take the event; nothing was acknowledged; honour Retry-After',
  ENTITY_NOT_RUNNING:
    '503 — the entity’s workflow failed or was terminated; nothing was acknowledged; retry after `hunt revive`',
  NOT_FOUND: '404 — no such route',
  METHOD_NOT_ALLOWED: '405 — the path takes other methods (see Allow)',
  MAPPING_FAILED: '422 — a native webhook’s mapping expressions failed on the request (each one listed)',
  UNMAPPED_TYPE: '422 — the native type is not mapped and the source rejects unmapped types',
};

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

/** Builds the OpenAPI 3.1 document for this configuration. */
export function buildOpenApiDocument(config: CompiledConfig): Record<string, unknown> {
  const eventSchemas: JsonObject = {};
  for (const [type, eventType] of Object.entries(config.events)) {
    eventSchemas[schemaName(type)] = {
      type: 'object',
      description: eventType.description ?? `A ${type} event`,
      required: ['specversion', 'id', 'source', 'type'],
      properties: {
        specversion: { const: '1.0' },
        id: { type: 'string', minLength: 1 },
        source: { enum: eventType.sources },
        type: { const: type },
        subject: { type: 'string' },
        time: { type: 'string', format: 'date-time' },
        datacontenttype: { type: 'string' },
        dataschema: { type: 'string', format: 'uri' },
        data: eventType.schema,
      },
      ...(eventType.example !== undefined ? { examples: [eventType.example] } : {}),
    };
  }
  const anyEvent = {
    oneOf: Object.keys(config.events).map((type) => ({ $ref: `#/components/schemas/${schemaName(type)}` })),
  };
  const entityParams = [
    { name: 'type', in: 'path', required: true, schema: { enum: Object.keys(config.entities) } },
    { name: 'key', in: 'path', required: true, schema: { type: 'string' }, description: 'URL-encode a key holding /' },
  ];
  const entityGet = (summary: string, extra: JsonObject[] = []) => ({
    get: {
      summary,
      parameters: [...entityParams, ...extra],
      responses: {
        '200': { description: 'OK' },
        '404': problemResponse('No such entity'),
        '503': problemResponse('Temporal unavailable'),
      },
    },
  });

  return {
    openapi: '3.1.0',
    info: {
      title: `${config.name} — Treasure Hunt Engine ingest API`,
      version: config.version,
      description:
        'CloudEvents 1.0 over HTTP (structured, binary and batch modes). A 2xx means Temporal holds the event.',
    },
    paths: {
      '/events': {
        post: {
          summary: 'Send one event (structured or binary mode) or a batch',
          parameters: [
            {
              name: 'wait',
              in: 'query',
              schema: { type: 'boolean' },
              description: 'Wait for the entity’s answer (also `Prefer: wait`)',
            },
          ],
          requestBody: {
            required: true,
            content: {
              [STRUCTURED_MEDIA_TYPE]: { schema: anyEvent },
              'application/json': { schema: anyEvent },
              [BATCH_MEDIA_TYPE]: { schema: { type: 'array', items: anyEvent } },
            },
          },
          responses: {
            '200': { description: 'Waited: the entity’s answer (accepted, duplicate or rejected; rules fired)' },
            '202': { description: 'Accepted: durable in Temporal (a batch: every event taken)' },
            '207': { description: 'Batch: some events taken, some not; see `results`' },
            '400': problemResponse('Malformed request or envelope'),
            '401': problemResponse('Authentication failed'),
            '403': problemResponse('Source not allowed to send this type'),
            '409': problemResponse('Replayed webhook-id'),
            '413': problemResponse('Too large'),
            '415': problemResponse('Unsupported content type'),
            '422': problemResponse('Unknown type, invalid data, no correlation key, or every batch event rejected'),
            '429': problemResponse('Rate limited (Retry-After)'),
            '503': problemResponse('Temporal unavailable (Retry-After); nothing acknowledged'),
          },
        },
      },
      ...webhookOpenApiPaths(config),
      '/entities/{type}/{key}': entityGet('The entity’s current state'),
      '/entities/{type}/{key}/events': entityGet('Recent events of the entity'),
      '/entities/{type}/{key}/explain': entityGet('Decision traces: why rules did or did not fire', [
        { name: 'eventId', in: 'query', schema: { type: 'string' } },
      ]),
      '/entities/{type}/{key}/dead-letters/{id}/redrive': {
        post: {
          summary: 'Re-run a dead-lettered action',
          parameters: [...entityParams, { name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': { description: '{ ok, error? }' },
            '404': problemResponse('No such entity'),
            '422': problemResponse('Refused'),
          },
        },
      },
      '/healthz': { get: { summary: 'Liveness', responses: { '200': { description: 'Alive' } } } },
      '/readyz': {
        get: {
          summary: 'Readiness: Temporal reachable, config loaded',
          responses: { '200': { description: 'Ready' }, '503': { description: 'Not ready' } },
        },
      },
      '/metrics': {
        get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text/plain exposition' } } },
      },
    },
    components: {
      schemas: {
        ...eventSchemas,
        Problem: {
          type: 'object',
          description: 'RFC 9457 problem details',
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            code: { enum: Object.keys(PROBLEM_CODES) },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                properties: { pointer: { type: 'string' }, header: { type: 'string' }, detail: { type: 'string' } },
              },
            },
          },
        },
      },
    },
    // Lets tools (e.g. `hunt send`) find which sources may send which type without the config file.
    'x-hunt-events': Object.fromEntries(
      Object.entries(config.events).map(([type, e]) => [type, { sources: e.sources, entity: e.entity }]),
    ),
  };
}

function schemaName(type: string): string {
  return `Event_${type.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}
