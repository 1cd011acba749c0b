import { isGrpcServiceError, ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { EngineError } from '../contract/engine-error.js';

/** Temporal could not take the event now; nothing was acknowledged, the caller should retry later. */
export class EngineUnavailableError extends EngineError {
  override readonly name: string = 'EngineUnavailableError';
  readonly code: 'ENGINE_UNAVAILABLE' | 'ENTITY_NOT_RUNNING' = 'ENGINE_UNAVAILABLE';
  readonly retryable = true;
  constructor(
    message: string,
    readonly retryAfterSeconds = 5,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// gRPC status codes that mean "the service is not able to take this now" rather than "this request is wrong".
const UNAVAILABLE_GRPC_CODES = new Set([
  1, // CANCELLED (the call was cut off, e.g. by a deadline on the connection)
  4, // DEADLINE_EXCEEDED
  8, // RESOURCE_EXHAUSTED
  14, // UNAVAILABLE
]);

function grpcCode(err: unknown): number | undefined {
  for (let current: unknown = err, depth = 0; current && depth < 5; depth++) {
    if (isGrpcServiceError(current)) return current.code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function looksLikeConnectionFailure(err: unknown): boolean {
  const text = err instanceof Error ? `${err.name} ${err.message}` : String(err);
  return /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ETIMEDOUT|ENOTFOUND|TransportError|Failed to connect|connection/i.test(
    text,
  );
}

/**
 * Maps a Temporal client failure to EngineUnavailableError when retrying later can fix it
 * (unavailable, deadline, resource exhausted, connection); returns undefined for anything else.
 */
export function asEngineUnavailable(err: unknown, retryAfterSeconds = 5): EngineUnavailableError | undefined {
  if (err instanceof EngineUnavailableError) return err;
  const code = grpcCode(err);
  const transient =
    (code !== undefined && UNAVAILABLE_GRPC_CODES.has(code)) ||
    err instanceof WorkflowUpdateRPCTimeoutOrCancelledError ||
    (code === undefined && err instanceof ServiceError && looksLikeConnectionFailure(err.cause ?? err)) ||
    (code === undefined && !(err instanceof ServiceError) && looksLikeConnectionFailure(err));
  if (!transient) return undefined;
  const why = err instanceof Error ? err.message : String(err);
  return new EngineUnavailableError(
    `Temporal did not accept the event (${why}); nothing was acknowledged — retry in ${retryAfterSeconds}s`,
    retryAfterSeconds,
    { cause: err },
  );
}
