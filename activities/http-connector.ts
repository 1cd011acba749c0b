/**
 * The HTTP connector activity: one call of a configured integrated system on behalf of a rule.
 * Secrets (`{{ env.X }}`, auth) are resolved here and never returned; what is returned — status,
 * duration, chosen headers, a bounded body — lands in the entity's history as the call's record.
 * Failures are classified for Temporal's retry policy (see http-failure.ts); the idempotency key
 * goes downstream so at-least-once attempts act once.
 */
import { Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { CompiledAction, CompiledConnector } from '../src/config/compiled.js';
import { entityWorkflowId } from '../src/rules/routing.js';
import type { EntityRef } from '../src/rules/types.js';
import { CONNECTOR_HEARTBEAT_INTERVAL_MS } from '../workflows/connector-options.js';
import { ConnectorConfigError, createEnvResolver } from './connector-env.js';
import {
  configFailure,
  HttpFailureType,
  isSuccessStatus,
  parseRetryAfter,
  statusFailure,
  transportFailure,
} from './http-failure.js';
import { buildHttpRequest, type HttpRequestPlan } from './http-request.js';
import { readLimitedBody, truncateUtf8 } from './http-response-body.js';
import { SecretScrubber } from './http-secrets.js';
import { recordConnectorCall } from '../src/metrics/engine-metrics.js';
import { refuseWhenPaused } from './connector-pause-check.js';

export interface CallInput {
  entity: EntityRef;
  ruleId: string;
  eventId: string;
  idempotencyKey: string;
  /** From the pinned compiled config. */
  connector: CompiledConnector;
  /** Templates already rendered except `env.*`. */
  action: Extract<CompiledAction, { kind: 'call' }>;
}

export interface CallResult {
  status: number;
  durationMs: number;
  /** The connector's `recordHeaders` present in the response (lower-case names). */
  headers: Record<string, string>;
  /** Up to `recordBodyBytes` of the response body, secrets scrubbed; absent when nothing is recorded. */
  body?: string;
  bodyTruncated: boolean;
  attempt: number;
}

export interface HttpConnectorDeps {
  logger: Logger;
  env: Record<string, string | undefined>;
  fetch?: typeof fetch | undefined;
  /** How often to heartbeat while waiting (default CONNECTOR_HEARTBEAT_INTERVAL_MS). */
  heartbeatIntervalMs?: number;
}

/** The connector activities; a property (not a method) so `activities.callConnector` can be passed around unbound. */
export interface HttpConnectorActivities {
  callConnector: (input: CallInput) => Promise<CallResult>;
}

/** Bytes of a failing response's body kept in the failure (and so in a dead letter), within `recordBodyBytes`. */
export const FAILURE_BODY_BYTES = 1024;

/** The log of one connector call attempt, HTTP or TypeScript: the entity, event, rule, connector, key and attempt. */
export function callLogger(logger: Logger, input: CallInput, attempt: number): Logger {
  return logger.child({
    workflowId: entityWorkflowId(input.entity),
    eventId: input.eventId,
    ruleId: input.ruleId,
    connector: input.connector.name,
    idempotencyKey: input.idempotencyKey,
    attempt,
  });
}

/** Creates the connector activities bound to their dependencies. */
export function createHttpConnectorActivities(deps: HttpConnectorDeps): HttpConnectorActivities {
  const fetchImpl = deps.fetch ?? fetch;
  const heartbeatIntervalMs = deps.heartbeatIntervalMs ?? CONNECTOR_HEARTBEAT_INTERVAL_MS;

  async function callConnector(input: CallInput): Promise<CallResult> {
    const context = Context.current();
    const attempt = context.info.attempt;
    const { connector } = input;
    const log = callLogger(deps.logger, input, attempt);

    // A paused connector is not called: the entity waits for the resume (non-retryable ConnectorPaused).
    await refuseWhenPaused(context, connector.name);

    const scrubber = new SecretScrubber();
    let plan: HttpRequestPlan;
    try {
      plan = buildHttpRequest({
        connector,
        action: input.action,
        idempotencyKey: input.idempotencyKey,
        resolve: createEnvResolver(deps.env, scrubber),
        scrubber,
        now: new Date(),
      });
    } catch (err) {
      if (!(err instanceof ConnectorConfigError)) throw err;
      const message = scrubber.scrub(err.message);
      log.error({ failure: HttpFailureType.config }, message);
      throw configFailure(message, attempt);
    }

    const target = `${connector.name}: ${plan.method} ${scrubber.scrub(plan.url)}`;
    const timeout = AbortSignal.timeout(connector.timeoutMs);
    const signal = AbortSignal.any([timeout, context.cancellationSignal]);
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    // Heartbeats let the server notice a crashed worker within the heartbeat timeout, not the call timeout,
    // and are how a cancellation request reaches this activity.
    const heartbeat = setInterval(() => context.heartbeat({ attempt, elapsedMs: elapsed() }), heartbeatIntervalMs);

    try {
      let response: Response;
      let recorded: { text: string; truncated: boolean };
      try {
        const init: RequestInit = { method: plan.method, headers: plan.headers, signal, redirect: 'manual' };
        if (plan.body !== undefined) init.body = plan.body;
        response = await fetchImpl(plan.url, init);
        recorded = await readLimitedBody(response, connector.recordBodyBytes);
      } catch (err) {
        if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason;
        if (timeout.aborted) {
          const message = `${target} got no answer within ${connector.timeoutMs} ms (attempt ${attempt})`;
          log.warn({ failure: HttpFailureType.timeout, durationMs: elapsed() }, message);
          throw transportFailure(HttpFailureType.timeout, message, attempt);
        }
        const message = `${target} failed before an answer: ${scrubber.scrub(describeNetworkError(err))} (attempt ${attempt})`;
        log.warn({ failure: HttpFailureType.network, durationMs: elapsed() }, message);
        throw transportFailure(HttpFailureType.network, message, attempt);
      }

      const durationMs = elapsed();
      const status = response.status;
      const body = scrubber.scrub(recorded.text);
      if (!isSuccessStatus(status, connector.http?.successStatuses ?? [])) {
        const failureBody = truncateUtf8(body, FAILURE_BODY_BYTES).text;
        const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
        const message =
          `${target} answered ${status}${response.statusText ? ` ${response.statusText}` : ''} (attempt ${attempt})` +
          (failureBody ? `: ${truncateUtf8(failureBody, 200).text}` : '');
        log.warn({ failure: HttpFailureType.status, status, durationMs, retryAfterMs }, message);
        throw statusFailure({
          message,
          status,
          attempt,
          body: failureBody === '' ? undefined : failureBody,
          retryAfterMs,
        });
      }

      const headers: Record<string, string> = {};
      for (const name of connector.recordHeaders) {
        const value = response.headers.get(name);
        if (value !== null) headers[name.toLowerCase()] = scrubber.scrub(value);
      }
      log.info({ status, durationMs }, `${target} answered ${status}`);
      const result: CallResult = { status, durationMs, headers, bodyTruncated: recorded.truncated, attempt };
      if (connector.recordBodyBytes > 0) result.body = body;
      recordConnectorCall(connector.name, 'ok');
      return result;
    } catch (err) {
      recordConnectorCall(connector.name, 'failed');
      throw err;
    } finally {
      clearInterval(heartbeat);
    }
  }

  return { callConnector };
}

/** `fetch failed` says nothing; the cause (ECONNREFUSED, ENOTFOUND, socket hang up…) says what to fix. */
function describeNetworkError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause;
  if (cause instanceof Error) {
    const code = (cause as Error & { code?: unknown }).code;
    return `${typeof code === 'string' ? `${code} ` : ''}${cause.message}`;
  }
  return err.message;
}
