/**
 * A flaky network in front of a partner: an HTTP proxy that fails a seeded-random share of requests
 * with 503 and forwards the rest, recording every attempt per idempotency key. The sandbox behind it
 * supplies idempotency and `down for …`; this adds the "fails half the calls" the sandbox cannot show.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type AttemptOutcome = 'injected' | 'unreachable' | 'forwarded';

export interface ProxiedAttempt {
  key?: string | undefined;
  outcome: AttemptOutcome;
  /** The partner's status when forwarded; 503 when injected. */
  status?: number;
}

export interface FlakyPartner {
  /** Base URL: requests to `${url}/x` go to `${target}/x`. */
  url: string;
  /** Share of requests (0..1) answered 503 by the proxy instead of forwarded. */
  setFailRatio(ratio: number): void;
  /** Every attempt so far, in arrival order. */
  attempts(): ProxiedAttempt[];
  close(): Promise<void>;
}

/** mulberry32: a small seeded generator, so a failing run can be repeated with its seed. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Starts the proxy in front of `target` (e.g. the sandbox's base URL). */
export async function startFlakyPartner(target: string, seed: number): Promise<FlakyPartner> {
  const random = seededRandom(seed);
  const attempts: ProxiedAttempt[] = [];
  let failRatio = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const header = req.headers['idempotency-key'];
    const key = typeof header === 'string' ? header : undefined;
    if (random() < failRatio) {
      attempts.push({ key, outcome: 'injected', status: 503 });
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"injected by the flaky proxy"}');
      return;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && name !== 'host' && name !== 'connection' && name !== 'content-length')
        headers[name] = value;
    }
    try {
      const answer = await fetch(`${target}${req.url ?? '/'}`, {
        method: req.method ?? 'POST',
        headers,
        ...(body.length > 0 && { body }),
      });
      const text = await answer.text();
      attempts.push({ key, outcome: 'forwarded', status: answer.status });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
      res.end(text);
    } catch {
      // The partner is down: show the caller the same thing, a connection closed without an answer.
      attempts.push({ key, outcome: 'unreachable' });
      req.socket.destroy();
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setFailRatio: (ratio) => {
      failRatio = ratio;
    },
    attempts: () => [...attempts],
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

/** Keys whose first `maximumAttempts` attempts all failed: exactly the calls the retry policy must dead-letter. */
export function keysExhaustingRetries(attempts: ProxiedAttempt[], maximumAttempts: number): Set<string> {
  const firstAttempts = new Map<string, ProxiedAttempt[]>();
  for (const attempt of attempts) {
    if (attempt.key === undefined) continue;
    const list = firstAttempts.get(attempt.key) ?? [];
    if (list.length < maximumAttempts) list.push(attempt);
    firstAttempts.set(attempt.key, list);
  }
  const failed = (a: ProxiedAttempt) =>
    a.outcome !== 'forwarded' || a.status === undefined || a.status < 200 || a.status >= 300;
  return new Set(
    [...firstAttempts].filter(([, list]) => list.length === maximumAttempts && list.every(failed)).map(([key]) => key),
  );
}
