/**
 * TypeScript connectors: a typed function the engine's worker runs as a connector call, for systems that are
 * not HTTP endpoints (SMTP, a database, a queue, an SDK-only API). The worker runs `run` as the same activity an
 * HTTP connector uses — same retries, timeouts, idempotency key, flow control, dead letters and `onFailure` — and
 * classifies what it throws the same way: `retryable`, `nonRetryable`, `retryAfter`, or `failureFromStatus` for a
 * protocol with HTTP-like status codes. Any other error is retried (type `ConnectorError`).
 *
 * Values are recognised by a registered symbol, not `instanceof`: the worker and a connector module may load
 * different copies of this file (the compiled engine and the published package, say).
 */
import type { z } from 'zod';
import { isRetryableStatus, parseRetryAfter } from '../../activities/retry-classification.js';
import type { Json, JsonObject } from '../config/compiled.js';

const CONNECTOR = Symbol.for('treasure-hunt-engine.connector');
const FAILURE = Symbol.for('treasure-hunt-engine.connector-failure');

/** What `run` gets beside its input. */
export interface ConnectorContext {
  /** Stable across attempts and replays of one action: send it downstream so at-least-once attempts act once. */
  idempotencyKey: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** Aborted when the call times out (`timeout`) or Temporal cancels it: pass it to the client library. */
  signal: AbortSignal;
  /** `connectors.<name>.settings` with `{{ env.X }}` resolved on this worker (secrets never enter history). */
  settings: Json;
  /** The entity the call is for, the rule and the event that fired it. */
  entity: { type: string; key: string };
  ruleId: string;
  eventId: string;
  /** Structured log lines, carrying the workflow, event, rule and idempotency key. */
  log: { info(message: string, fields?: JsonObject): void; warn(message: string, fields?: JsonObject): void };
}

/** What `defineConnector` takes. */
export interface ConnectorDefinition<Input extends z.ZodType, Output extends Json | void> {
  /** The connector's name: `connectors.<name>` in the configuration. */
  name: string;
  description?: string;
  /** A zod schema of the call's `body`; checked by `hunt validate` where the body is known and on every call. */
  input: Input;
  /** Does the work. What it returns (JSON) is the call's recorded body and, with `result`, the event's `body`. */
  run(input: z.output<Input>, context: ConnectorContext): Promise<Output> | Output;
}

/** A connector made by `defineConnector`. */
export type DefinedConnector<Input extends z.ZodType = z.ZodType, Output extends Json | void = Json | void> = Readonly<
  ConnectorDefinition<Input, Output>
> & { readonly [CONNECTOR]: true };

const NAME = /^[A-Za-z][\w-]*$/;

/** Declares a TypeScript connector; export the result from the module `connectors.<name>.module` names. */
export function defineConnector<Input extends z.ZodType, Output extends Json | void>(
  definition: ConnectorDefinition<Input, Output>,
): DefinedConnector<Input, Output> {
  if (typeof definition.name !== 'string' || !NAME.test(definition.name))
    throw new TypeError(
      `defineConnector: name must start with a letter (letters, digits, "_", "-"), got ${JSON.stringify(definition.name)}`,
    );
  if (typeof definition.input?.safeParse !== 'function')
    throw new TypeError(`defineConnector "${definition.name}": input must be a zod schema`);
  if (typeof definition.run !== 'function')
    throw new TypeError(`defineConnector "${definition.name}": run must be a function`);
  return Object.freeze({ ...definition, [CONNECTOR]: true as const });
}

/** Whether `value` was made by `defineConnector` (any copy of this module). */
export function isDefinedConnector(value: unknown): value is DefinedConnector {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[CONNECTOR] === true;
}

/** A failure a connector classified itself; throw it from `run`. */
export class ConnectorFailure extends Error {
  override readonly name = 'ConnectorFailure';
  readonly [FAILURE] = true;
  constructor(
    message: string,
    /** Whether another attempt may succeed. */
    readonly retryable: boolean,
    /** The failure type recorded (matchable in `retry.nonRetryableErrorTypes`); default `ConnectorError`. */
    readonly type: string = 'ConnectorError',
    /** Wait this long before the next attempt instead of the retry policy's backoff. */
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Whether `err` is a `ConnectorFailure` (any copy of this module). */
export function isConnectorFailure(err: unknown): err is ConnectorFailure {
  return err instanceof Error && (err as unknown as Record<symbol, unknown>)[FAILURE] === true;
}

interface FailureOptions {
  /** The failure type recorded; default `ConnectorError`. */
  type?: string;
  cause?: unknown;
}

/** A failure worth retrying (the system is busy, the connection dropped): the retry policy decides when. */
export function retryable(message: string, options: FailureOptions = {}): ConnectorFailure {
  return new ConnectorFailure(message, true, options.type, undefined, { cause: options.cause });
}

/** A failure retrying cannot fix (rejected recipient, bad credentials): the call dead-letters and `onFailure` runs. */
export function nonRetryable(message: string, options: FailureOptions = {}): ConnectorFailure {
  return new ConnectorFailure(message, false, options.type, undefined, { cause: options.cause });
}

/**
 * A retryable failure that says when to try again: milliseconds, a `Date`, or a `Retry-After` header value
 * (seconds or an HTTP date), as HTTP connectors honour `Retry-After`.
 */
export function retryAfter(
  delay: number | Date | string,
  message: string,
  options: FailureOptions = {},
): ConnectorFailure {
  const ms =
    typeof delay === 'number'
      ? delay
      : delay instanceof Date
        ? delay.getTime() - Date.now()
        : parseRetryAfter(delay, Date.now());
  const wait = ms !== undefined && ms > 0 ? Math.ceil(ms) : undefined;
  return new ConnectorFailure(message, true, options.type, wait, { cause: options.cause });
}

/**
 * The failure for a protocol status, classified as an HTTP connector classifies it: 408, 429 and 5xx are
 * retried (honouring `retryAfter`), any other status is not.
 */
export function failureFromStatus(
  status: number,
  message: string,
  options: FailureOptions & { retryAfter?: string | null } = {},
): ConnectorFailure {
  const wait = options.retryAfter ? parseRetryAfter(options.retryAfter, Date.now()) : undefined;
  return new ConnectorFailure(message, isRetryableStatus(status), options.type, wait, { cause: options.cause });
}
