/**
 * Builds the HTTP request of one connector call from the compiled connector and the planned action:
 * URL, method, headers, JSON body, the idempotency key header and outgoing auth (bearer, basic,
 * Standard Webhooks signature).
 */
import { Webhook } from 'standardwebhooks';
import type { CompiledAction, CompiledConnector, Json, Template } from '../src/config/compiled.js';
import { ConnectorConfigError } from './connector-env.js';
import type { SecretScrubber } from './http-secrets.js';

export interface HttpRequestPlan {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

export interface HttpRequestInput {
  connector: CompiledConnector;
  action: Extract<CompiledAction, { kind: 'call' }>;
  idempotencyKey: string;
  /** Resolves the `{{ env.X }}` placeholders left in a template; `where` names it in errors. */
  resolve: (template: Template, where: string) => Json;
  scrubber: SecretScrubber;
  /** Signing time for Standard Webhooks. */
  now: Date;
}

const BODYLESS_METHODS = new Set(['GET', 'HEAD']);

/** Builds the request; throws ConnectorConfigError when the configuration cannot make a valid one. */
export function buildHttpRequest(input: HttpRequestInput): HttpRequestPlan {
  const { connector, action, resolve, scrubber } = input;
  const where = `connector "${connector.name}"`;
  const http = connector.http;
  if (!http) throw new ConnectorConfigError(`${where} is not an HTTP connector (it has no \`http\`)`);
  const method = (action.method ?? http.method).toUpperCase();

  const base = asText(resolve(http.url, `${where} url`), `${where} url`);
  // Action fields were rendered from event data in the workflow: they are literal here. Only the
  // connector's own settings may read `env`, so an event cannot smuggle `{{ env.SECRET }}` into a request.
  const path = action.path === undefined ? '' : asText(action.path, `${where} path`);
  const url = joinUrl(base, path, where, scrubber);

  const headers = new Map<string, [string, string]>();
  const setHeader = (name: string, value: string) => headers.set(name.toLowerCase(), [name, value]);
  for (const [name, template] of Object.entries(http.headers)) {
    const value = headerValue(resolve(template, `${where} header ${name}`));
    if (value !== undefined) setHeader(name, value);
  }
  for (const [name, template] of Object.entries(action.headers ?? {})) {
    const value = headerValue(template);
    if (value !== undefined) setHeader(name, value);
  }

  const bodyTemplate = action.body !== undefined ? action.body : http.body;
  let body: string | undefined;
  if (bodyTemplate !== undefined) {
    if (BODYLESS_METHODS.has(method)) {
      throw new ConnectorConfigError(`${where}: a ${method} request cannot carry a body; drop the body or use POST`);
    }
    body = JSON.stringify(action.body !== undefined ? action.body : resolve(bodyTemplate, `${where} body`));
    if (!headers.has('content-type')) setHeader('Content-Type', 'application/json');
  }

  // Set last so configured headers cannot replace the key that makes retries harmless downstream.
  setHeader(connector.idempotencyHeader, input.idempotencyKey);

  const auth = http.auth;
  if (auth?.type === 'bearer') {
    const token = asText(resolve(auth.token, `${where} auth token`), `${where} auth token`);
    scrubber.add(token, 'bearer token');
    setHeader('Authorization', `Bearer ${token}`);
  } else if (auth?.type === 'basic') {
    const username = asText(resolve(auth.username, `${where} auth username`), `${where} auth username`);
    const password = asText(resolve(auth.password, `${where} auth password`), `${where} auth password`);
    const encoded = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
    scrubber.add(password, 'basic password');
    scrubber.add(encoded, 'basic credentials');
    setHeader('Authorization', `Basic ${encoded}`);
  } else if (auth?.type === 'standardWebhooks') {
    const secret = asText(resolve(auth.secret, `${where} signing secret`), `${where} signing secret`);
    scrubber.add(secret, 'signing secret');
    // The webhook id is the idempotency key, so the receiver's replay protection and ours agree.
    const timestamp = input.now;
    let signature: string;
    try {
      signature = new Webhook(secret).sign(input.idempotencyKey, timestamp, body ?? '');
    } catch (err) {
      throw new ConnectorConfigError(
        `${where}: cannot sign with the Standard Webhooks secret (${err instanceof Error ? err.message : String(err)}); ` +
          'use a base64 secret, optionally prefixed whsec_',
      );
    }
    setHeader('webhook-id', input.idempotencyKey);
    setHeader('webhook-timestamp', String(Math.floor(timestamp.getTime() / 1000)));
    setHeader('webhook-signature', signature);
  }

  const plan: HttpRequestPlan = { url, method, headers: Object.fromEntries([...headers.values()]) };
  if (body !== undefined) plan.body = body;
  try {
    // fetch rejects bad header names/values with a bare TypeError; say which connector is wrong instead.
    new Headers(plan.headers);
  } catch (err) {
    throw new ConnectorConfigError(
      `${where}: invalid header (${scrubber.scrub(err instanceof Error ? err.message : String(err))}); fix the connector headers`,
    );
  }
  return plan;
}

function asText(value: Json, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new ConnectorConfigError(`${where} must be text, got ${value === null ? 'null' : typeof value}`);
}

function headerValue(value: Json): string | undefined {
  if (value === null) return undefined;
  return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** Connector URL plus the action's path (`/send`, `send`, `?x=1`), with exactly one slash between. */
function joinUrl(base: string, path: string, where: string, scrubber: SecretScrubber): string {
  let joined = base;
  if (path !== '') {
    joined = /^[?#]/.test(path) ? base + path : `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  }
  let url: URL;
  try {
    url = new URL(joined);
  } catch {
    throw new ConnectorConfigError(
      `${where}: "${scrubber.scrub(joined)}" is not a valid URL; check the url and its env`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConnectorConfigError(`${where}: URL scheme ${url.protocol} is not supported; use http or https`);
  }
  return url.toString();
}
