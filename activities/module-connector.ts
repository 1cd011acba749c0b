/**
 * The TypeScript connector activity: runs a `defineConnector` module's `run` for one call, in the same activity
 * slot (`callConnector`) and under the same options an HTTP call gets — the workflow cannot tell them apart, so
 * retries, timeouts, heartbeats, flow control, pause, dead letters and `onFailure` are the HTTP connector's.
 * The call's body is checked against the connector's zod `input` here too; `settings` are resolved here
 * (`{{ env.X }}`), never in history. What `run` throws is classified by classifiedFailure, as HTTP statuses are.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Json, JsonObject } from '../src/config/compiled.js';
import { isConnectorFailure, type DefinedConnector } from '../src/sdk/define-connector.js';
import { recordConnectorCall } from '../src/metrics/engine-metrics.js';
import { CONNECTOR_HEARTBEAT_INTERVAL_MS } from '../workflows/connector-options.js';
import { ConnectorConfigError, createEnvResolver } from './connector-env.js';
import { refuseWhenPaused } from './connector-pause-check.js';
import { callLogger, type CallInput, type CallResult } from './http-connector.js';
import { classifiedFailure, configFailure, HttpFailureType, ModuleFailureType } from './http-failure.js';
import { truncateUtf8 } from './http-response-body.js';
import { SecretScrubber } from './http-secrets.js';

export interface ModuleConnectorDeps {
  logger: Logger;
  env: Record<string, string | undefined>;
  /** The TypeScript connectors this worker loaded at start, by connector name. */
  modules: ReadonlyMap<string, DefinedConnector>;
  heartbeatIntervalMs?: number;
}

/** The status a successful TypeScript connector call records (its result event's `status`). */
export const MODULE_SUCCESS_STATUS = 200;

/** Creates the function that runs one TypeScript connector call (dispatched to by `callConnector`). */
export function createModuleConnectorCall(deps: ModuleConnectorDeps): (input: CallInput) => Promise<CallResult> {
  const heartbeatIntervalMs = deps.heartbeatIntervalMs ?? CONNECTOR_HEARTBEAT_INTERVAL_MS;

  return async function callModuleConnector(input: CallInput): Promise<CallResult> {
    const context = Context.current();
    const attempt = context.info.attempt;
    const { connector } = input;
    const log = callLogger(deps.logger, input, attempt);
    await refuseWhenPaused(context, connector.name);

    const definition = deps.modules.get(connector.name);
    if (!definition) {
      const message =
        `connector "${connector.name}" is a TypeScript connector (${connector.module?.path ?? 'no module'}) this worker ` +
        'did not load: start the worker with a configuration naming it, then redrive the dead letter';
      log.error({ failure: HttpFailureType.config }, message);
      throw configFailure(message, attempt);
    }

    const scrubber = new SecretScrubber();
    let settings: Json = {};
    try {
      const template = connector.module?.settings;
      if (template !== undefined)
        settings = createEnvResolver(deps.env, scrubber)(template, `connector "${connector.name}" settings`);
    } catch (err) {
      if (!(err instanceof ConnectorConfigError)) throw err;
      const message = scrubber.scrub(err.message);
      log.error({ failure: HttpFailureType.config }, message);
      throw configFailure(message, attempt);
    }

    const parsed = definition.input.safeParse(input.action.body ?? {});
    if (!parsed.success) {
      const message = `connector "${connector.name}": the call's body does not match its input: ${z.prettifyError(parsed.error).replaceAll('\n', '; ')}`;
      log.error({ failure: ModuleFailureType.inputInvalid }, message);
      recordConnectorCall(connector.name, 'failed');
      throw classifiedFailure({
        message,
        type: ModuleFailureType.inputInvalid,
        retryable: false,
        details: { attempt },
      });
    }

    const timeout = AbortSignal.timeout(connector.timeoutMs);
    const signal = AbortSignal.any([timeout, context.cancellationSignal]);
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const heartbeat = setInterval(() => context.heartbeat({ attempt, elapsedMs: elapsed() }), heartbeatIntervalMs);
    const target = `${connector.name} (TypeScript)`;
    try {
      // A `run` that ignores the signal still loses the race: the attempt fails at the timeout either way.
      const aborted = new Promise<never>((_, reject) => {
        signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
      });
      const output = await Promise.race([
        Promise.resolve(
          definition.run(parsed.data, {
            idempotencyKey: input.idempotencyKey,
            attempt,
            signal,
            settings,
            entity: { type: input.entity.type, key: input.entity.key },
            ruleId: input.ruleId,
            eventId: input.eventId,
            log: {
              info: (message, fields) => log.info(fields ?? {}, scrubber.scrub(message)),
              warn: (message, fields) => log.warn(fields ?? {}, scrubber.scrub(message)),
            },
          }),
        ),
        aborted,
      ]);
      const durationMs = elapsed();
      const text = scrubber.scrub(JSON.stringify(output ?? null));
      const recorded = truncateUtf8(text, connector.recordBodyBytes);
      log.info({ durationMs }, `${target} succeeded`);
      recordConnectorCall(connector.name, 'ok');
      const result: CallResult = {
        status: MODULE_SUCCESS_STATUS,
        durationMs,
        headers: {},
        bodyTruncated: recorded.truncated,
        attempt,
      };
      if (connector.recordBodyBytes > 0) result.body = recorded.text;
      return result;
    } catch (err) {
      recordConnectorCall(connector.name, 'failed');
      if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason;
      throw classify(err, {
        target,
        attempt,
        timedOut: timeout.aborted,
        timeoutMs: connector.timeoutMs,
        scrubber,
        log,
      });
    } finally {
      clearInterval(heartbeat);
    }
  };
}

/** What `run` threw, as the Temporal failure the retry policy and the dead letter read. */
function classify(
  err: unknown,
  at: { target: string; attempt: number; timedOut: boolean; timeoutMs: number; scrubber: SecretScrubber; log: Logger },
): ApplicationFailure {
  const { target, attempt, scrubber, log } = at;
  if (at.timedOut) {
    const message = `${target} did not finish within ${at.timeoutMs} ms (attempt ${attempt})`;
    log.warn({ failure: ModuleFailureType.timeout }, message);
    return classifiedFailure({ message, type: ModuleFailureType.timeout, retryable: true, details: { attempt } });
  }
  // A connector that speaks Temporal already decided; keep its failure as it is.
  if (err instanceof ApplicationFailure) return err;
  if (isConnectorFailure(err)) {
    const message = `${target} failed: ${scrubber.scrub(err.message)} (attempt ${attempt})`;
    const fields: JsonObject = { failure: err.type, retryable: err.retryable };
    if (err.retryAfterMs !== undefined) fields.retryAfterMs = err.retryAfterMs;
    log.warn(fields, message);
    return classifiedFailure({
      message,
      type: err.type,
      retryable: err.retryable,
      details: { attempt },
      retryAfterMs: err.retryAfterMs,
    });
  }
  const reason = err instanceof Error ? err.message : String(err);
  const message = `${target} threw: ${scrubber.scrub(reason)} (attempt ${attempt})`;
  log.warn({ failure: ModuleFailureType.error }, message);
  return classifiedFailure({ message, type: ModuleFailureType.error, retryable: true, details: { attempt } });
}
