/**
 * Read and repair endpoints over one entity workflow: state, recent events, decision traces, and
 * re-running a dead letter. They talk to Temporal through the client (queries and an update).
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { asEngineUnavailable } from '../client/engine-unavailable-error.js';
import type { CompiledConfig } from '../config/compiled.js';
import { entityWorkflowId } from '../rules/routing.js';
import { eventsQuery, redriveUpdate, stateQuery, tracesQuery } from '../contract/messages.js';
import { problem, sendProblem } from './problem-details.js';
import { jsonResponse, problemResponse } from './openapi-document.js';

export interface EntityRoutesDeps {
  config: CompiledConfig;
  client?: Client;
  /** When set, these endpoints require `Authorization: Bearer <adminApiKey>`. */
  adminApiKey?: string;
  /** Deadline for one query or update call (ms). */
  timeoutMs: number;
}

interface EntityParams {
  type: string;
  key: string;
}

/** Registers GET /entities/:type/:key[/events|/explain] and POST …/dead-letters/:id/redrive. */
export function registerEntityRoutes(app: FastifyInstance, deps: EntityRoutesDeps): void {
  const guard = adminGuard(deps.adminApiKey);
  const route = (run: (client: Client, workflowId: string, request: FastifyRequest) => Promise<unknown>) => {
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const refused = guard(request);
      if (refused) return sendProblem(reply, refused);
      const { type, key } = request.params as EntityParams;
      if (!deps.config.entities[type]) {
        return sendProblem(
          reply,
          problem(404, 'ENTITY_NOT_FOUND', 'Entity not found', `unknown entity type "${type}"`),
        );
      }
      if (!deps.client) {
        reply.header('retry-after', '30');
        return sendProblem(
          reply,
          problem(503, 'ENGINE_UNAVAILABLE', 'Engine unavailable', 'no Temporal client is configured'),
        );
      }
      const client = deps.client;
      const workflowId = entityWorkflowId({ type, key });
      try {
        const body = await client.connection.withDeadline(Date.now() + deps.timeoutMs, () =>
          run(client, workflowId, request),
        );
        return reply.send(body);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) {
          return sendProblem(
            reply,
            problem(404, 'ENTITY_NOT_FOUND', 'Entity not found', `entity ${workflowId} has no workflow`),
          );
        }
        if (err instanceof WorkflowUpdateFailedError) {
          const why = err.cause?.message ?? err.message;
          return sendProblem(reply, problem(422, 'REDRIVE_FAILED', 'Redrive refused', `entity ${workflowId}: ${why}`));
        }
        const unavailable = asEngineUnavailable(err);
        if (unavailable) {
          reply.header('retry-after', String(unavailable.retryAfterSeconds));
          return sendProblem(reply, problem(503, unavailable.code, 'Engine unavailable', unavailable.message));
        }
        throw err;
      }
    };
  };

  const params = (extra: Record<string, unknown> = {}) => ({
    type: 'object',
    required: ['type', 'key', ...Object.keys(extra)],
    properties: {
      // Not an enum: an unknown type is a 404 problem naming it, like an unknown key.
      type: { type: 'string', description: `an entity type: ${Object.keys(deps.config.entities).join(', ')}` },
      key: { type: 'string', description: 'URL-encode a key holding /' },
      ...extra,
    },
  });
  const schema = (summary: string, extra: Record<string, unknown> = {}) => ({
    summary,
    tags: ['entities'],
    params: params(extra),
    response: {
      200: jsonResponse('OK'),
      401: problemResponse('Admin bearer token missing or wrong'),
      404: problemResponse('No such entity'),
      503: problemResponse('Temporal unavailable (Retry-After)'),
    },
  });
  app.get(
    '/entities/:type/:key',
    { schema: schema('The entity’s current state') },
    route((client, workflowId) => client.workflow.getHandle(workflowId).query(stateQuery)),
  );
  app.get(
    '/entities/:type/:key/events',
    { schema: schema('Recent events of the entity') },
    route((client, workflowId) => client.workflow.getHandle(workflowId).query(eventsQuery)),
  );
  app.get(
    '/entities/:type/:key/explain',
    {
      schema: {
        ...schema('Decision traces: why rules did or did not fire'),
        querystring: { type: 'object', properties: { eventId: { type: 'string' } } },
      },
    },
    route((client, workflowId, request) => {
      const { eventId } = request.query as { eventId?: string };
      return client.workflow.getHandle(workflowId).query(tracesQuery, eventId ? { eventId } : {});
    }),
  );
  const redrive = schema('Re-run a dead-lettered action', { id: { type: 'string' } });
  app.post(
    '/entities/:type/:key/dead-letters/:id/redrive',
    {
      schema: {
        ...redrive,
        response: { ...redrive.response, 200: jsonResponse('{ ok, error? }'), 422: problemResponse('Refused') },
      },
    },
    route((client, workflowId, request) => {
      const { id } = request.params as { id: string };
      return client.workflow.getHandle(workflowId).executeUpdate(redriveUpdate, { args: [{ deadLetterId: id }] });
    }),
  );
}

/**
 * The admission of an admin endpoint that needs Temporal: refuses the request (401 without the admin token, 503
 * with Retry-After when no client is configured) and answers undefined, or hands back the client.
 */
export function adminAdmission(adminApiKey: string | undefined, client: Client | undefined) {
  const guard = adminGuard(adminApiKey);
  return (request: FastifyRequest, reply: FastifyReply): Client | undefined => {
    const refused = guard(request);
    if (refused) {
      void sendProblem(reply, refused);
      return undefined;
    }
    if (!client) {
      reply.header('retry-after', '30');
      void sendProblem(
        reply,
        problem(503, 'ENGINE_UNAVAILABLE', 'Engine unavailable', 'no Temporal client is configured'),
      );
      return undefined;
    }
    return client;
  };
}

/** Checks `Authorization: Bearer <admin API key>`; no key configured leaves the endpoint open. */
export function adminGuard(adminApiKey: string | undefined) {
  if (!adminApiKey) return () => undefined;
  const expected = createHash('sha256').update(adminApiKey).digest();
  return (request: FastifyRequest) => {
    const given = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
    return timingSafeEqual(createHash('sha256').update(given).digest(), expected)
      ? undefined
      : problem(401, 'ADMIN_AUTH_REQUIRED', 'Authentication required', 'send Authorization: Bearer <admin API key>');
  };
}
