/** RFC 9457 problem details: the body of every refusal the ingest API sends. */
import type { FastifyReply } from 'fastify';
import type { EventProblem, ProblemCode } from '../contract/problems.js';

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

export interface ProblemDetails {
  /** Points at the problem's entry in the API docs page. */
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Stable machine-readable code, e.g. `DATA_INVALID`. */
  code: ProblemCode;
  /** Every problem found, each with a JSON Pointer into the request body (or the header it came from). */
  errors?: EventProblem[];
  [extension: string]: unknown;
}

/** Builds a problem document; `type` links to the code's entry on GET /docs. */
export function problem(
  status: number,
  code: ProblemCode,
  title: string,
  detail: string,
  errors?: EventProblem[],
  extensions: Record<string, unknown> = {},
): ProblemDetails {
  return {
    type: `/docs#${code.toLowerCase()}`,
    title,
    status,
    detail,
    code,
    ...(errors ? { errors } : {}),
    ...extensions,
  };
}

/** Sends a problem document with its status and content type. */
export function sendProblem(reply: FastifyReply, details: ProblemDetails): FastifyReply {
  return reply.code(details.status).type(PROBLEM_MEDIA_TYPE).send(details);
}
