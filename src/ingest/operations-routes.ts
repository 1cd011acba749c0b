/**
 * Operator endpoints of issue 18 that act on the running engine, behind the admin token: replay of recorded
 * events through chosen rules (`POST /events/replay`), connector and rule pauses
 * (`/connectors/:name/pause|resume`, `/rules/:id/pause|resume`, `GET /operations/pauses`) and the recent
 * operations (`GET /operations`). One Fastify plugin
 * with JSON bodies and route schemas (the OpenAPI document is built from them); ingest-server.ts registers it.
 */
import type { Client } from '@temporalio/client';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { CompiledConfig } from '../config/compiled.js';
import { describeFilterProblems } from '../event-log/event-filters.js';
import type { PauseKind } from '../contract/operations.js';
import { checkPauseTarget, listPauses, pause, resume, UnknownPauseTargetError } from '../operations/pauses.js';
import { planReplay, replayRequestSchema, ReplayRequestError, runReplay } from '../operations/replay.js';
import { listOperations, OPERATION_KINDS, type OperationKind } from '../operations/operations-list.js';
import { adminAdmission, adminGuard } from './entity-routes.js';
import { problemResponse } from './openapi-document.js';
import { problem, sendProblem } from './problem-details.js';

export interface OperationsRoutesOptions {
  config: CompiledConfig;
  client?: Client;
  /** The engine's task queue (replay workflows run there). */
  taskQueue?: string;
  adminApiKey?: string;
}

const filterProperties = {
  entityType: { type: 'string', description: 'only entities of this type' },
  entity: { type: 'string', description: 'only this entity (type/key)' },
  eventType: { type: 'string', description: 'only firings on events of this type' },
  source: { type: 'string', description: 'only firings on events from this source' },
  since: { type: 'string', description: 'only firings at or after this time (ISO 8601, ms, or a duration ago: 24h)' },
  until: { type: 'string', description: 'only firings at or before this time' },
} as const;

/** Body of POST /events/replay. */
export const replayBodySchema = {
  type: 'object',
  required: ['rules'],
  properties: {
    ...filterProperties,
    rules: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, description: 'rule ids to replay' },
    dryRun: { type: 'boolean', description: 'answer the plan, call nothing' },
  },
  additionalProperties: false,
} as const;

const replayResponseSchema = {
  type: 'object',
  properties: {
    planned: { type: 'integer', description: 'firings of the chosen rules with something to call or emit' },
    alreadyReplayed: { type: 'integer' },
    toReplay: { type: 'integer' },
    started: { type: 'integer' },
    performed: { type: 'integer' },
    failed: { type: 'integer' },
    replayId: { type: 'string' },
    firings: { type: 'array', items: { type: 'object', additionalProperties: true } },
    results: { type: 'array', items: { type: 'object', additionalProperties: true } },
  },
} as const;

const pauseBodySchema = {
  type: 'object',
  properties: { reason: { type: 'string', maxLength: 500, description: 'why (kept in the pause record)' } },
  additionalProperties: false,
} as const;

const pauseAnswerSchema = {
  type: 'object',
  properties: {
    kind: { type: 'string', enum: ['connector', 'rule'] },
    name: { type: 'string' },
    paused: { type: 'boolean', description: 'whether it is paused after this request' },
    changed: { type: 'boolean', description: 'false when it already was in that state' },
    signalled: { type: 'integer', description: 'entities told (waiting calls released, or rule set updated)' },
  },
} as const;

const pausesListSchema = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      kind: { type: 'string', enum: ['connector', 'rule'] },
      name: { type: 'string' },
      pausedAt: { type: 'string' },
      reason: { type: 'string' },
    },
  },
} as const;

const operationsQuerySchema = {
  type: 'object',
  properties: {
    kind: { type: 'string', enum: [...OPERATION_KINDS], description: 'only operations of this kind' },
    running: { type: 'boolean', description: 'only running ones (pauses in effect, redrives and replays under way)' },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 20, description: 'at most this many' },
  },
  additionalProperties: false,
} as const;

const operationsListSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['kind', 'id', 'target', 'status', 'started', 'summary'],
    properties: {
      kind: { type: 'string', enum: [...OPERATION_KINDS] },
      id: { type: 'string', description: 'workflow id (a replay: hunt.replay/<replayId>, for its firings)' },
      target: { type: 'string', description: 'the connector or rule it is about (a redrive: its main filter)' },
      status: { type: 'string', enum: ['running', 'completed', 'failed'] },
      started: { type: 'string', format: 'date-time' },
      closed: { type: 'string', format: 'date-time' },
      summary: { type: 'string' },
      counts: { type: 'object', additionalProperties: { type: 'integer' } },
      filters: { type: 'object', additionalProperties: true },
      reason: { type: 'string' },
    },
  },
} as const;

/** The problems every operations route may answer (documented: the OpenAPI document lists them). */
const ADMIN_PROBLEMS = {
  400: problemResponse('Malformed body or parameters'),
  401: problemResponse('Missing or wrong admin token'),
  503: problemResponse('Temporal unavailable (Retry-After)'),
} as const;

/** The operations endpoints, as a Fastify plugin (encapsulated: its JSON body parser is its own). */
export async function operationsRoutes(app: FastifyInstance, options: OperationsRoutesOptions): Promise<void> {
  // The server keeps bodies as raw bytes for signatures; these endpoints take JSON (an empty body is `{}`).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body).trim();
    if (text === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch {
      done(Object.assign(new Error('the body is not JSON'), { statusCode: 400 }), undefined);
    }
  });
  const guard = adminGuard(options.adminApiKey);
  // Authentication before validation: a caller without the token learns nothing about the request's shape.
  app.addHook('preValidation', async (request, reply) => {
    const refused = guard(request);
    if (refused) return sendProblem(reply, refused);
  });
  const admit = adminAdmission(options.adminApiKey, options.client);

  for (const kind of ['connector', 'rule'] as const satisfies readonly PauseKind[]) {
    const base = kind === 'connector' ? '/connectors/:name' : '/rules/:name';
    const params = {
      type: 'object',
      required: ['name'],
      // No maxLength: past the router's own limit (100 characters) a name is simply not found (404, documented).
      properties: { name: { type: 'string', minLength: 1 } },
    } as const;
    const refuseUnknown = (reply: FastifyReply, name: string): FastifyReply | undefined => {
      try {
        checkPauseTarget(options.config, kind, name);
        return undefined;
      } catch (err) {
        if (!(err instanceof UnknownPauseTargetError)) throw err;
        const code = kind === 'connector' ? 'CONNECTOR_UNKNOWN' : 'RULE_UNKNOWN';
        return sendProblem(reply, problem(404, code, `Unknown ${kind}`, err.message));
      }
    };
    app.post(
      `${base}/pause`,
      {
        schema: {
          summary: `Pause a ${kind} (admin): ${kind === 'connector' ? 'its calls wait durably' : 'it does not fire'}`,
          params,
          body: pauseBodySchema,
          response: { 200: pauseAnswerSchema, ...ADMIN_PROBLEMS, 404: problemResponse('Unknown connector or rule') },
        },
      },
      async (request, reply) => {
        const client = admit(request, reply);
        if (!client) return reply;
        const { name } = request.params as { name: string };
        const refused = refuseUnknown(reply, name);
        if (refused) return refused;
        const { reason } = (request.body ?? {}) as { reason?: unknown };
        if (reason !== undefined && typeof reason !== 'string')
          return sendProblem(reply, problem(400, 'BAD_REQUEST', 'Bad request', 'reason must be a string'));
        const { already } = await pause(client, options.taskQueue ?? 'treasure-hunt', kind, name, {
          ...(reason !== undefined && { reason }),
        });
        return reply.send({ kind, name, paused: true, changed: !already, signalled: 0 });
      },
    );
    app.post(
      `${base}/resume`,
      {
        schema: {
          summary: `Resume a paused ${kind} (admin)`,
          params,
          response: { 200: pauseAnswerSchema, ...ADMIN_PROBLEMS, 404: problemResponse('Unknown connector or rule') },
        },
      },
      async (request, reply) => {
        const client = admit(request, reply);
        if (!client) return reply;
        const { name } = request.params as { name: string };
        const refused = refuseUnknown(reply, name);
        if (refused) return refused;
        const { wasPaused, signalled } = await resume(client, kind, name);
        return reply.send({ kind, name, paused: false, changed: wasPaused, signalled });
      },
    );
  }

  app.get(
    '/operations/pauses',
    {
      schema: {
        summary: 'Connectors and rules paused now (admin)',
        response: { 200: pausesListSchema, ...ADMIN_PROBLEMS },
      },
    },
    async (request, reply) => {
      const client = admit(request, reply);
      if (!client) return reply;
      return reply.send(await listPauses(client));
    },
  );

  app.get(
    '/operations',
    {
      schema: {
        summary:
          "Recent operations on this deployment's task queue: replays, bulk redrives, pauses, newest first (admin)",
        querystring: operationsQuerySchema,
        response: { 200: operationsListSchema, ...ADMIN_PROBLEMS },
      },
    },
    async (request, reply) => {
      const client = admit(request, reply);
      if (!client) return reply;
      const query = request.query as { kind?: OperationKind; running?: boolean; limit?: number };
      return reply.send(
        await listOperations(client, {
          limit: query.limit ?? 20,
          ...(query.kind !== undefined && { kind: query.kind }),
          ...(query.running === true && { running: true }),
          ...(options.taskQueue !== undefined && { taskQueue: options.taskQueue }),
        }),
      );
    },
  );

  app.post(
    '/events/replay',
    {
      schema: {
        summary: 'Replay recorded events through chosen rules of the current configuration (admin)',
        body: replayBodySchema,
        response: { 200: replayResponseSchema, ...ADMIN_PROBLEMS },
      },
    },
    async (request, reply) => {
      const client = admit(request, reply);
      if (!client) return reply;
      const parsed = replayRequestSchema.safeParse(request.body);
      if (!parsed.success) {
        return sendProblem(reply, problem(400, 'BAD_FILTER', 'Bad filter', describeFilterProblems(parsed.error)));
      }
      const { rules, dryRun, ...filters } = parsed.data;
      let plan;
      try {
        plan = await planReplay(client, options.config, filters, rules);
      } catch (err) {
        if (err instanceof ReplayRequestError)
          return sendProblem(reply, problem(400, 'REPLAY_INVALID', 'Replay refused', err.message));
        throw err;
      }
      const withWork = plan.firings.filter((f) => f.actions.length > 0);
      const alreadyReplayed = withWork.filter((f) => f.alreadyReplayed).length;
      if (dryRun === true) {
        return reply.send({
          planned: withWork.length,
          alreadyReplayed,
          toReplay: withWork.length - alreadyReplayed,
          firings: plan.firings,
        });
      }
      const todo = { ...plan, firings: withWork.filter((f) => !f.alreadyReplayed) };
      const summary = await runReplay(client, options.taskQueue ?? 'treasure-hunt', todo);
      return reply.send({ ...summary, alreadyReplayed: summary.alreadyReplayed + alreadyReplayed });
    },
  );
}
