/**
 * Restate as a bench target, beside the engine and the raw-Temporal baselines: the bench's virtual object
 * served by an SDK endpoint in the bench process (HTTP/2, the SDK's default protocol), registered with the
 * run's Restate server, fed through Restate's HTTP ingress with one-way sends (`/<object>/<key>/handle/send`,
 * answered 202 once Restate accepted the invocation) that carry an `idempotency-key`, so a re-sent event is
 * accepted once. Like the engine's, its action calls the sandbox sink.
 */
import './promise-with-resolvers.js';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { createEndpointHandler } from '@restatedev/restate-sdk';
import type { Logger } from 'pino';
import { Pool } from 'undici';
import type { EngineEvent } from '../../src/rules/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server.js';
import { keyOf } from '../bench-events.js';
import { inPool } from '../load.js';
import { ProcessedTracker } from '../probe/processed-tracker.js';
import type { Target } from '../targets.js';
import { benchObject, type TeamState } from './bench-object.js';
import type { RestateRuntime } from './restate-server.js';

const SETTLE_CONCURRENCY = 32;
/** The SDK's startup warning for an endpoint without identity keys (request signing). */
const UNSIGNED_REQUESTS_WARNING = 'Accepting requests without validating request signatures';
const SETTLE_TIMEOUT_MS = 180_000;
/** Keep-alive connections of the load generator to the ingress (as many as the engine's HTTP path uses). */
const INGRESS_CONNECTIONS = 256;

export interface RestateTarget extends Target {
  /** The sandbox the action calls (its recorded requests: tests check one call per event). */
  readonly sandbox: Sandbox;
  /** The committed state of one key (the object's shared `state` handler, through the ingress). */
  state(key: string): Promise<TeamState | null>;
  /** The Restate server's pid (its CPU time per event is reported beside the Temporal server's). */
  readonly serverPid: number;
}

/** The idempotency key of one send: the event id (the bench's sends to Restate carry one event, or a batch's ids). */
function sendKey(events: EngineEvent[]): string {
  return events.map((event) => event.id).join(',');
}

/** Starts the bench's virtual object on the run's Restate server; `withAction` adds the sink call per event. */
export async function startRestateTarget(
  restate: RestateRuntime,
  logger: Logger,
  options: { withAction: boolean },
): Promise<RestateTarget> {
  const server = await restate.server();
  const name = `BenchTeam_${randomUUID().slice(0, 8)}`;
  const tracker = new ProcessedTracker();
  const actionAt = new Map<string, number>();
  const sandbox = await startSandbox({
    host: '127.0.0.1',
    systems: ['sink'],
    onRequest: (request) => {
      const { eventId } = JSON.parse(request.body) as { eventId?: string };
      if (eventId !== undefined && !actionAt.has(eventId)) actionAt.set(eventId, performance.now());
    },
  });
  const object = benchObject({
    name,
    ...(options.withAction && { sinkUrl: sandbox.url('sink') }),
    onHandled: (eventIds) => tracker.record(eventIds, 0, name),
  });
  const endpoint = http2.createServer(
    createEndpointHandler({
      services: [object],
      // The SDK logs to the console by default; the bench keeps warnings and errors, in pino.
      logger: (meta, message, ...rest) => {
        // RestateLogLevel is a declared (type-only) enum: compare its string values.
        const level = String(meta.level);
        if (level !== 'warn' && level !== 'error') return;
        const text = [message, ...rest].map(String).join(' ');
        // The endpoint listens on 127.0.0.1 only, for this run's server: request signing has nothing to add.
        if (text.startsWith(UNSIGNED_REQUESTS_WARNING)) return;
        logger[level]({ restate: meta.context?.invocationTarget }, text);
      },
    }),
  );
  // Restate keeps its HTTP/2 connections to the endpoint open: close() waits for them, so stop destroys them.
  const sessions = new Set<http2.ServerHttp2Session>();
  endpoint.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve, reject) => {
    endpoint.once('error', reject);
    endpoint.listen(0, '127.0.0.1', () => resolve());
  });
  const endpointUrl = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}`;
  const ingress = new Pool(server.ingressUrl, { connections: INGRESS_CONNECTIONS });
  let closed: Promise<void> | undefined;
  const closeAll = () =>
    (closed ??= (async () => {
      await ingress.close();
      const endpointClosed = new Promise<void>((resolve) => endpoint.close(() => resolve()));
      for (const session of sessions) session.destroy();
      await endpointClosed;
      await sandbox.close();
    })());
  try {
    await server.register(endpointUrl);
  } catch (err) {
    await closeAll();
    throw err;
  }

  const objectPath = (key: string) => `/${name}/${encodeURIComponent(key)}`;
  const state = async (key: string): Promise<TeamState | null> => {
    const { statusCode, body } = await ingress.request({
      path: `${objectPath(key)}/state`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    const text = await body.text();
    if (statusCode >= 300) throw new Error(`Restate answered ${statusCode} for ${key}'s state: ${text}`);
    return text === '' ? null : (JSON.parse(text) as TeamState | null);
  };

  return {
    name: 'Restate',
    taskQueue: name,
    tracker,
    actionAt,
    sandbox,
    serverPid: server.pid,
    state,
    send: async (events) => {
      const { statusCode, body } = await ingress.request({
        path: `${objectPath(keyOf(events[0]!))}/handle/send`,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': sendKey(events) },
        body: JSON.stringify({ events }),
      });
      if (statusCode >= 300) throw new Error(`Restate ingress answered ${statusCode}: ${await body.text()}`);
      await body.dump();
    },
    // The probe fires in the handler, before the invocation's state is committed: wait for the committed state.
    settled: async (keys) => {
      const deadline = performance.now() + SETTLE_TIMEOUT_MS;
      await inPool(keys, SETTLE_CONCURRENCY, async (key) => {
        for (;;) {
          if (((await state(key))?.scans ?? 0) >= 1) return;
          if (performance.now() > deadline) throw new Error(`Restate object ${name}/${key} did not settle`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      });
    },
    stop: closeAll,
  };
}
