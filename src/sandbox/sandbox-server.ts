/**
 * Sandbox partner systems: one small real HTTP server standing in for the treasure hunt's mailer,
 * payouts and leaderboard (a path prefix per system). It records every request, answers a repeated
 * idempotency key with the first answer, and fails on command — so connector retries, dead letters
 * and idempotency can be shown and tested end to end without the real partners.
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  applyBehaviour,
  healthyState,
  SandboxBehaviourError,
  toBehaviour,
  type SandboxBehaviour,
  type SystemBehaviourState,
} from './behaviour.js';
import { DEFAULT_SANDBOX_SYSTEMS, partnerResponse, type PartnerResponse } from './partner-systems.js';
import { startSmtpSink, type ReceivedMail, type SmtpAnswer } from './smtp-sink.js';
import { isRetryableStatus } from '../../activities/retry-classification.js';

/** The sandbox system name of the mail server. */
export const SMTP_SYSTEM = 'smtp';
/** Characters of a mail's text kept in the request log. */
const MAIL_TEXT_RECORDED = 2048;

export interface SandboxOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Append every recorded request to this file as one JSON line. */
  logFile?: string;
  /** Systems served, one path prefix each (default mailer, payouts, leaderboard). */
  systems?: string[];
  /** Request headers that carry an idempotency key, first present wins (lower case). */
  idempotencyHeaders?: string[];
  /** Called after each request is recorded (the CLI prints it). */
  onRequest?: (request: RecordedRequest) => void;
  /**
   * The mail server (system `smtp`): its port (0, the default, picks a free one), or `false` for none. Mails are
   * recorded like requests (method `SMTP`, path `MAIL TO:<…>`) and follow the same behaviours.
   */
  smtpPort?: number | false;
}

/** What happened to one request. */
/** `abandoned`: the caller hung up (e.g. its timeout) before the delayed answer was ready. */
export type RequestOutcome = 'ok' | 'duplicate' | 'failed' | 'down' | 'not-found' | 'abandoned';

export interface RecordedRequest {
  seq: number;
  /** ISO time the request arrived. */
  time: string;
  system: string;
  method: string;
  /** Path and query as received, including the system prefix. */
  path: string;
  headers: Record<string, string>;
  body: string;
  idempotencyKey?: string;
  /** True when the key was seen before and the first answer was replayed. */
  duplicate: boolean;
  outcome: RequestOutcome;
  /** Absent when the connection was closed without an answer (down). */
  status?: number;
  response?: string;
  delayedMs?: number;
}

export interface Sandbox {
  /** Base URL of one system, e.g. `http://127.0.0.1:4010/mailer`. */
  url(system: string): string;
  /** Every request recorded so far (a copy), oldest first. */
  requests(): RecordedRequest[];
  /** The mail server's `smtp://host:port` (undefined with `smtpPort: false`). */
  smtpUrl: string | undefined;
  /** Changes how `system` (or every system, with `*`) behaves from the next request on. */
  control(system: string, behaviour: SandboxBehaviour | string): void;
  close(): Promise<void>;
  readonly port: number;
}

export const DEFAULT_IDEMPOTENCY_HEADERS = ['idempotency-key', 'x-idempotency-key', 'webhook-id'];

/** Starts the sandbox partner systems; resolves once the server listens. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const host = options.host ?? '127.0.0.1';
  const httpSystems = options.systems ?? [...DEFAULT_SANDBOX_SYSTEMS];
  const systems = options.smtpPort === false ? httpSystems : [...httpSystems, SMTP_SYSTEM];
  const keyHeaders = (options.idempotencyHeaders ?? DEFAULT_IDEMPOTENCY_HEADERS).map((h) => h.toLowerCase());
  const states = new Map<string, SystemBehaviourState>(systems.map((s) => [s, healthyState()]));
  const firstAnswers = new Map<string, PartnerResponse>();
  const records: RecordedRequest[] = [];
  const log: WriteStream | undefined = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  let seq = 0;
  let accepted = 0;

  const record = (entry: RecordedRequest) => {
    records.push(entry);
    log?.write(`${JSON.stringify(entry)}\n`);
    options.onRequest?.(entry);
  };

  const control = (system: string, behaviour: SandboxBehaviour | string) => {
    const parsed = typeof behaviour === 'string' ? toBehaviour(behaviour) : behaviour;
    const targets = system === '*' ? systems : [system];
    for (const target of targets) {
      const state = states.get(target);
      if (!state) throw new SandboxBehaviourError(`unknown sandbox system "${target}"; systems: ${systems.join(', ')}`);
      states.set(target, applyBehaviour(state, parsed, Date.now()));
    }
  };

  const handlePartner = async (req: IncomingMessage, res: ServerResponse, path: string, body: string) => {
    const system = path.split('/')[1] ?? '';
    const headers = flattenHeaders(req);
    const key = keyHeaders.map((h) => headers[h]).find((v) => v !== undefined && v !== '');
    const base = {
      seq: ++seq,
      time: new Date().toISOString(),
      system,
      method: req.method ?? 'GET',
      path,
      headers,
      body,
      ...(key !== undefined && { idempotencyKey: key }),
      duplicate: false,
    };
    let state = httpSystems.includes(system) ? states.get(system) : undefined;
    if (!state) {
      const response = JSON.stringify({ error: `no sandbox system "${system}"; systems: ${systems.join(', ')}` });
      record({ ...base, outcome: 'not-found', status: 404, response });
      return send(res, 404, response);
    }
    if (Date.now() < state.downUntil) {
      record({ ...base, outcome: 'down' });
      req.socket.destroy();
      return;
    }
    const delayedMs = state.delayMs;
    if (delayedMs > 0) {
      await sleep(delayedMs);
      if (req.socket.destroyed) return record({ ...base, outcome: 'abandoned', delayedMs });
      state = states.get(system) ?? state;
    }
    const delayed = delayedMs > 0 ? { delayedMs } : {};
    if (state.failRemaining > 0 || state.failAlwaysStatus !== undefined) {
      const counted = state.failRemaining > 0;
      const status = counted ? state.failFirstStatus : (state.failAlwaysStatus ?? 503);
      const retryAfter = counted ? state.failFirstRetryAfter : state.failAlwaysRetryAfter;
      if (counted) states.set(system, { ...state, failRemaining: state.failRemaining - 1 });
      const response = JSON.stringify({ error: `sandbox ${system} told to fail with ${status}` });
      record({ ...base, ...delayed, outcome: 'failed', status, response });
      return send(res, status, response, retryAfter !== undefined ? { 'retry-after': retryAfter } : {});
    }
    // Check and store the first answer with no await in between, so concurrent duplicates cannot both pass.
    const dedupeKey = key !== undefined ? `${system}\u0000${key}` : undefined;
    const first = dedupeKey !== undefined ? firstAnswers.get(dedupeKey) : undefined;
    if (first) {
      record({
        ...base,
        ...delayed,
        duplicate: true,
        outcome: 'duplicate',
        status: first.status,
        response: first.body,
      });
      return send(res, first.status, first.body, { 'idempotent-replayed': 'true' });
    }
    const answer = partnerResponse(system, base.method, ++accepted);
    if (dedupeKey !== undefined) firstAnswers.set(dedupeKey, answer);
    record({ ...base, ...delayed, outcome: 'ok', status: answer.status, response: answer.body });
    return send(res, answer.status, answer.body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const body = await readBody(req);
    if (url.pathname === '/_requests' && req.method === 'GET') {
      const system = url.searchParams.get('system');
      return send(res, 200, JSON.stringify(system ? records.filter((r) => r.system === system) : records));
    }
    if (url.pathname === '/_control' && req.method === 'POST') {
      try {
        const command = JSON.parse(body) as { system?: unknown; behaviour?: unknown };
        const system = typeof command.system === 'string' ? command.system : '*';
        const behaviour = toBehaviour(command.behaviour);
        control(system, behaviour);
        return send(res, 200, JSON.stringify({ system, behaviour }));
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        return send(res, 400, JSON.stringify({ error: `bad control command: ${message}` }));
      }
    }
    return handlePartner(req, res, `${url.pathname}${url.search}`, body);
  };

  // Mails: the same records, behaviours and idempotency as HTTP requests. A failing status becomes a temporary
  // SMTP refusal (451) when HTTP would retry it, a permanent one (550) otherwise; "down" refuses with 421.
  const answerMail = (mail: ReceivedMail): SmtpAnswer => {
    const key = mail.headers['x-idempotency-key'] ?? mail.headers['idempotency-key'];
    const base = {
      seq: ++seq,
      time: new Date().toISOString(),
      system: SMTP_SYSTEM,
      method: 'SMTP',
      path: `MAIL TO:<${mail.to.join('>,<')}>`,
      headers: { from: mail.from, to: mail.to.join(', '), subject: mail.subject, ...mail.headers },
      body: mail.text.length > MAIL_TEXT_RECORDED ? `${mail.text.slice(0, MAIL_TEXT_RECORDED)}…` : mail.text,
      ...(key !== undefined && { idempotencyKey: key }),
      duplicate: false,
    };
    const state = states.get(SMTP_SYSTEM) ?? healthyState();
    if (Date.now() < state.downUntil) {
      record({ ...base, outcome: 'down', status: 421 });
      return { accept: false, code: 421, message: 'sandbox smtp is down' };
    }
    if (state.failRemaining > 0 || state.failAlwaysStatus !== undefined) {
      const counted = state.failRemaining > 0;
      const status = counted ? state.failFirstStatus : (state.failAlwaysStatus ?? 503);
      if (counted) states.set(SMTP_SYSTEM, { ...state, failRemaining: state.failRemaining - 1 });
      const code = isRetryableStatus(status) ? 451 : 550;
      const message = `sandbox smtp told to fail (as ${status})`;
      record({ ...base, outcome: 'failed', status: code, response: message });
      return { accept: false, code, message };
    }
    const dedupeKey = key !== undefined ? `${SMTP_SYSTEM}\u0000${key}` : undefined;
    const first = dedupeKey !== undefined ? firstAnswers.get(dedupeKey) : undefined;
    if (first) {
      record({ ...base, duplicate: true, outcome: 'duplicate', status: first.status, response: first.body });
      return { accept: true, queuedAs: first.body };
    }
    const queuedAs = `mail-${++accepted}`;
    if (dedupeKey !== undefined) firstAnswers.set(dedupeKey, { status: 250, body: queuedAs });
    record({ ...base, outcome: 'ok', status: 250, response: queuedAs });
    return { accept: true, queuedAs };
  };
  const smtp =
    options.smtpPort === false
      ? undefined
      : await startSmtpSink({ host, port: options.smtpPort ?? 0, answer: answerMail });

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, JSON.stringify({ error: String(err) }));
    });
  });
  server.listen(options.port ?? 0, host);
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    url: (system) => `http://${host}:${port}/${system}`,
    requests: () => records.map((r) => ({ ...r, headers: { ...r.headers } })),
    smtpUrl: smtp?.url,
    control,
    close: async () => {
      await smtp?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
      if (log) {
        log.end();
        await once(log, 'finish');
      }
    },
  };
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
}
