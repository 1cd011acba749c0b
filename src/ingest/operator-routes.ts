/**
 * Operator endpoints over the whole deployment, behind the admin token: the event log export
 * (`GET /events/export`), bulk redrive of dead letters (`POST /dead-letters/redrive`) and connector
 * pauses (`/connectors/:name/pause|resume`). One Fastify plugin; ingest-server.ts registers it.
 */
import { Readable } from 'node:stream';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { describeFilterProblems, eventFiltersSchema } from '../event-log/event-filters.js';
import { exportEvents } from '../event-log/event-export.js';
import { planRedrive, redriveFiltersSchema, runRedrive } from '../operations/bulk-redrive.js';
import { adminAdmission } from './entity-routes.js';
import { problem, sendProblem } from './problem-details.js';
import { TIME_BOUND_PARAMETER, jsonResponse, problemResponse } from './openapi-document.js';

export interface OperatorRoutesOptions {
  client?: Client;
  /** When set, every operator endpoint requires `Authorization: Bearer <adminApiKey>`. */
  adminApiKey?: string;
  /** The deployment's entity task queue: a bulk redrive touches only its entities. */
  taskQueue?: string;
}

/** Query-string filters: `entityType`, `entity`, `eventType`, `source`, `since`, `until`. */
const filterName = { type: 'string', minLength: 1, maxLength: 200 };
const exportQuerySchema = {
  type: 'object',
  properties: {
    entityType: filterName,
    entity: { ...filterName, pattern: '^[^/]+/.+$', description: 'type/key, e.g. team/red-foxes' },
    eventType: filterName,
    source: filterName,
    since: TIME_BOUND_PARAMETER,
    until: TIME_BOUND_PARAMETER,
  },
  additionalProperties: false,
} as const;

/** A query or body that does not match these routes' schemas is a bad filter (the problem code callers match on). */
const FILTER_PROBLEM = { validationProblem: { code: 'BAD_FILTER', title: 'Bad filter' } } as const;
const { $schema: _dialect, ...redriveFilters } = z.toJSONSchema(redriveFiltersSchema, { io: 'input' });
const redriveBodySchema = {
  ...redriveFilters,
  properties: { ...(redriveFilters.properties ?? {}), since: TIME_BOUND_PARAMETER, dryRun: { type: 'boolean' } },
};

/** The operator endpoints, as a Fastify plugin. */
export async function operatorRoutes(app: FastifyInstance, options: OperatorRoutesOptions): Promise<void> {
  /** Refuses the request (401, 503) or hands back the client. */
  const admit = adminAdmission(options.adminApiKey, options.client);

  const responses = {
    400: problemResponse('Malformed filter'),
    401: problemResponse('Admin bearer token missing or wrong'),
    404: problemResponse('The entity of the `entity` filter has no workflow'),
    503: problemResponse('Temporal unavailable (Retry-After)'),
  };
  const exportSchema = {
    summary: 'The event log: every accepted event of the selected entities, one JSON object per line',
    tags: ['operations'],
    querystring: exportQuerySchema,
    response: {
      200: { description: 'NDJSON', content: { 'application/x-ndjson': { schema: { type: 'string' } } } },
      ...responses,
    },
  };
  const redriveSchema = {
    summary: 'Re-run the dead letters the filters select (or plan it with dryRun)',
    tags: ['operations'],
    body: {
      content: {
        'application/json': {
          // The filters' own zod schema, as JSON Schema: the document and the check cannot drift.
          schema: redriveBodySchema,
        },
      },
    },
    response: {
      200: jsonResponse(
        '{ planned, targets } for a dry run; otherwise { operationId, planned, redriven, failedAgain, results } ' +
          '(the redrive runs as the workflow operationId, which goes on if the request is dropped)',
      ),
      ...responses,
    },
  };

  app.get('/events/export', { schema: exportSchema, config: FILTER_PROBLEM }, async (request, reply) => {
    const client = admit(request, reply);
    if (!client) return reply;
    const parsed = eventFiltersSchema.safeParse(request.query ?? {});
    if (!parsed.success) {
      return sendProblem(reply, problem(400, 'BAD_FILTER', 'Bad filter', describeFilterProblems(parsed.error)));
    }
    const filters = parsed.data;
    // The first event is read before answering: what fails up front (an entity with no workflow) is a
    // problem with its status, not a 200 cut short.
    const events = exportEvents(client, filters)[Symbol.asyncIterator]();
    let first: IteratorResult<unknown>;
    try {
      first = await events.next();
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      return sendProblem(
        reply,
        problem(404, 'ENTITY_NOT_FOUND', 'Entity not found', `entity ${filters.entity ?? ''} has no workflow`),
      );
    }
    const lines = async function* () {
      for (let next = first; !next.done; next = await events.next()) yield `${JSON.stringify(next.value)}\n`;
    };
    return reply.type('application/x-ndjson').send(Readable.from(lines()));
  });

  app.post('/dead-letters/redrive', { schema: redriveSchema, config: FILTER_PROBLEM }, async (request, reply) => {
    const client = admit(request, reply);
    if (!client) return reply;
    // The ingest API keeps bodies as raw bytes (signatures): this route parses its JSON itself.
    let body: unknown = {};
    const raw = request.body instanceof Buffer ? request.body.toString('utf8').trim() : '';
    if (raw !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        return sendProblem(reply, problem(400, 'BAD_REQUEST', 'Bad request', 'the body is not JSON'));
      }
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      return sendProblem(reply, problem(400, 'BAD_FILTER', 'Bad filter', 'the body must be a JSON object of filters'));
    }
    const { dryRun, ...filterInput } = body as { dryRun?: unknown } & Record<string, unknown>;
    if (dryRun !== undefined && typeof dryRun !== 'boolean') {
      return sendProblem(reply, problem(400, 'BAD_FILTER', 'Bad filter', 'dryRun: expected true or false'));
    }
    const parsed = redriveFiltersSchema.safeParse(filterInput);
    if (!parsed.success) {
      return sendProblem(reply, problem(400, 'BAD_FILTER', 'Bad filter', describeFilterProblems(parsed.error)));
    }
    const targets = await planRedrive(client, parsed.data, {
      ...(options.taskQueue !== undefined && { taskQueue: options.taskQueue }),
    });
    if (dryRun === true) return reply.send({ planned: targets.length, targets });
    // The redrive is an operation of its own on the engine's queue: a caller that goes away leaves it running.
    const taskQueue = options.taskQueue ?? 'treasure-hunt';
    return reply.send(await runRedrive(client, { taskQueue, filters: parsed.data, targets }));
  });
}
