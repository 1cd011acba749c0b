/**
 * Sends events to a remote ingest API over HTTP as CloudEvents, signed the way the source is
 * configured: Standard Webhooks (`secret`), GitHub-style hub signature (`hubSecret`) or an API key.
 * Retries 429/503 as told by Retry-After; a retry keeps the webhook-id (Standard Webhooks says so).
 */
import { createHash, createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { toCloudEvent } from './event-input.js';
import type { EventInput } from './event-input.js';
import { EngineError } from '../contract/engine-error.js';
import type { ProblemCode } from '../contract/problems.js';

export interface HttpSenderOptions {
  /** Base URL of the ingest API, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** The configured source these events come from. */
  source: string;
  /** Standard Webhooks secret (`whsec_…`). */
  secret?: string;
  /** Secret for `X-Hub-Signature-256`. */
  hubSecret?: string;
  apiKey?: string;
  /** Header carrying the API key. Default `x-api-key`. */
  apiKeyHeader?: string;
  /** Wait for the entity's answer (`?wait=true`). */
  wait?: boolean;
  /** Attempts on 429/503/network errors. Default 3. */
  maxAttempts?: number;
  /** Longest wait between attempts (s). Default 30. */
  maxRetryAfterSeconds?: number;
  fetch?: typeof fetch;
}

/** The ingest API's answer. `duplicate` is true when it had already taken this webhook message. */
export interface HttpSendResult {
  status: number;
  body: unknown;
  duplicate: boolean;
}

/** The ingest API refused the request (a 4xx, or a 5xx after the last attempt). */
export class HttpSendError extends EngineError {
  override readonly name = 'HttpSendError';
  readonly code = 'HTTP_SEND_FAILED';
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    const problem = body as { code?: ProblemCode; detail?: string } | undefined;
    super(
      `the ingest API answered ${status}${problem?.code ? ` ${problem.code}` : ''}: ${problem?.detail ?? JSON.stringify(body)}`,
    );
  }
  get retryable(): boolean {
    return this.status === 429 || this.status >= 500;
  }
}

export type SenderEvent = Omit<EventInput<string, unknown>, 'source'>;

export interface HttpSender {
  send(event: SenderEvent): Promise<HttpSendResult>;
  sendBatch(events: SenderEvent[]): Promise<HttpSendResult>;
}

/** Creates a sender for one source. */
export function createHttpSender(options: HttpSenderOptions): HttpSender {
  const doFetch = options.fetch ?? fetch;
  const endpoint = `${options.url.replace(/\/+$/, '')}/events${options.wait ? '?wait=true' : ''}`;
  const webhook = options.secret ? new Webhook(options.secret) : undefined;
  const maxAttempts = options.maxAttempts ?? 3;

  const post = async (body: string, contentType: string, messageId: string): Promise<HttpSendResult> => {
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = { 'content-type': contentType };
      if (webhook) {
        const now = new Date();
        headers['webhook-id'] = messageId;
        headers['webhook-timestamp'] = String(Math.floor(now.getTime() / 1000));
        headers['webhook-signature'] = webhook.sign(messageId, now, body);
      }
      if (options.hubSecret) {
        headers['x-hub-signature-256'] = `sha256=${createHmac('sha256', options.hubSecret).update(body).digest('hex')}`;
      }
      if (options.apiKey) headers[options.apiKeyHeader ?? 'x-api-key'] = options.apiKey;
      let response: Response;
      try {
        response = await doFetch(endpoint, { method: 'POST', headers, body });
      } catch (err) {
        if (attempt >= maxAttempts) throw err;
        await sleep(backoffSeconds(attempt));
        continue;
      }
      const text = await response.text();
      const parsed = parseBody(text);
      if (response.ok) return { status: response.status, body: parsed, duplicate: false };
      if ((parsed as { code?: ProblemCode } | undefined)?.code === 'WEBHOOK_REPLAYED') {
        return { status: response.status, body: parsed, duplicate: true };
      }
      const retryable = response.status === 429 || response.status === 503;
      if (!retryable || attempt >= maxAttempts) throw new HttpSendError(response.status, parsed);
      const retryAfter = Number(response.headers.get('retry-after')) || backoffSeconds(attempt);
      await sleep(Math.min(retryAfter, options.maxRetryAfterSeconds ?? 30));
    }
  };

  return {
    send: (event) => {
      const envelope = toCloudEvent({ ...event, source: options.source });
      return post(JSON.stringify(envelope), 'application/cloudevents+json', `msg_${String(envelope.id)}`);
    },
    sendBatch: (events) => {
      const envelopes = events.map((event) => toCloudEvent({ ...event, source: options.source }));
      const ids = createHash('sha256')
        .update(envelopes.map((e) => String(e.id)).join('\n'))
        .digest('hex')
        .slice(0, 32);
      return post(JSON.stringify(envelopes), 'application/cloudevents-batch+json', `msg_batch_${ids}`);
    },
  };
}

function parseBody(text: string): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return text;
  }
}

function backoffSeconds(attempt: number): number {
  return Math.min(2 ** (attempt - 1), 10);
}

function sleep(seconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, seconds * 1000));
}
