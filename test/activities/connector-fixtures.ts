/**
 * Fixtures for connector tests: a compiled connector with overrides, a call input, a real local
 * HTTP server whose answers the test decides, and a pino logger captured to memory.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Info } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import pino from 'pino';
import type { CallInput } from '../../activities/http-connector.js';
import type { CompiledConnector } from '../../src/config/compiled.js';

type ConnectorOverrides = Partial<Omit<CompiledConnector, 'http'>> & { http?: Partial<CompiledConnector['http']> };

/** A compiled connector as the compiler would produce it, with `overrides` applied. */
export function makeConnector(overrides: ConnectorOverrides = {}): CompiledConnector {
  const { http, ...rest } = overrides;
  return {
    name: 'mailer',
    timeoutMs: 2_000,
    retry: { maximumAttempts: 5 },
    idempotencyHeader: 'Idempotency-Key',
    recordBodyBytes: 1024,
    recordHeaders: [],
    ...rest,
    http: { url: 'http://127.0.0.1:1/unset', method: 'POST', headers: {}, successStatuses: [], ...http },
  };
}

/** A call input for `connector` with a plain action. */
export function makeCallInput(connector: CompiledConnector, action: Partial<CallInput['action']> = {}): CallInput {
  return {
    entity: { type: 'team', key: 'red' },
    ruleId: 'welcome',
    eventId: 'evt-1',
    idempotencyKey: 'team/red:evt-1:welcome:0',
    connector,
    action: { kind: 'call', connector: connector.name, ...action },
  };
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface LocalServer {
  url: string;
  port: number;
  requests: SeenRequest[];
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 answering with `handler`; every request is kept in `requests`. */
export async function startLocalServer(
  handler: (req: SeenRequest, res: ServerResponse, raw: IncomingMessage) => unknown,
): Promise<LocalServer> {
  const requests: SeenRequest[] = [];
  const server = createServer((raw, res) => {
    const chunks: Buffer[] = [];
    raw.on('data', (c: Buffer) => chunks.push(c));
    raw.on('end', () => {
      const seen = {
        method: raw.method ?? '',
        url: raw.url ?? '',
        headers: raw.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(seen);
      Promise.resolve(handler(seen, res, raw)).catch((err: unknown) => {
        res.writeHead(500);
        res.end(String(err));
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A pino logger writing JSON lines to memory, to check what the activity logs. */
export function captureLogger(): { logger: pino.Logger; output: () => string } {
  const lines: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => lines.push(line) });
  return { logger, output: () => lines.join('') };
}

const silent = () => undefined;

/** A mock activity context that keeps the SDK's own "Activity failed" lines out of the test output. */
export function mockActivityEnvironment(info: Partial<Info> = {}): MockActivityEnvironment {
  return new MockActivityEnvironment(info, {
    logger: { log: silent, trace: silent, debug: silent, info: silent, warn: silent, error: silent },
  });
}

/** Runs an activity in `env`, keeping its result type (the SDK's `run` infers `unknown`). */
export function runActivity<A extends unknown[], R>(
  env: MockActivityEnvironment,
  fn: (...args: A) => Promise<R>,
  ...args: A
): Promise<R> {
  return env.run<A, R, (...args: A) => Promise<R>>(fn, ...args);
}
