/**
 * Operator endpoints of issue 18 that act on the running engine, behind the admin token: replay of recorded
 * events through chosen rules (`POST /events/replay`), connector and rule pauses
 * (`/connectors/:name/pause|resume`, `/rules/:id/pause|resume`, `GET /operations/pauses`). One Fastify plugin
 * with JSON bodies and route schemas (the OpenAPI document is built from them); ingest-server.ts registers it.
 */
import type { Client } from '@temporalio/client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CompiledConfig } from '../config/compiled.js';
import { describeFilterProblems } from '../event-log/event-filters.js';
import { planReplay, replayRequestSchema, ReplayRequestError, runReplay } from '../operations/replay.js';
import { adminGuard } from './entity-routes.js';
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
    rules: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'rule ids to replay' },
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
  const admit = (request: FastifyRequest, reply: FastifyReply): Client | undefined => {
    const refused = guard(request);
    if (refused) {
      void sendProblem(reply, refused);
      return undefined;
    }
    if (!options.client) {
      reply.header('retry-after', '30');
      void sendProblem(
        reply,
        problem(503, 'ENGINE_UNAVAILABLE', 'Engine unavailable', 'no Temporal client is configured'),
      );
      return undefined;
    }
    return options.client;
  };

  app.post(
    '/events/replay',
    {
      schema: {
        summary: 'Replay recorded events through chosen rules of the current configuration (admin)',
        body: replayBodySchema,
        response: { 200: replayResponseSchema },
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
