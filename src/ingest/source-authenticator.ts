/**
 * Authenticates a request as coming from one configured source, over the RAW body bytes:
 * API key header, Standard Webhooks signatures (with replay protection) or GitHub-style
 * `X-Hub-Signature-256`. Secrets are read once, from the env object passed in.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { CompiledConfig, SourceAuth } from '../config/compiled.js';
import { IngestSetupError } from './ingest-setup-error.js';
import { WebhookReplayMemo } from './webhook-replay-memo.js';
import type { ProblemCode } from '../contract/problems.js';

export type HeaderBag = Record<string, string | string[] | undefined>;

export type AuthOutcome =
  | {
      ok: true;
      /** Call once the request's outcome is known: a claimed webhook-id is kept only when accepted. */
      settle: (accepted: boolean) => void;
    }
  | { ok: false; status: 401 | 409; code: ProblemCode; detail: string };

export interface AuthenticatorOptions {
  /** Standard Webhooks timestamp tolerance; also how long webhook ids are remembered (twice this). Default 300 s. */
  toleranceSeconds?: number;
  /** Most webhook ids remembered at once. Default 100 000. */
  replayMemoSize?: number;
  now?: () => number;
}

type Verifier = (headers: HeaderBag, rawBody: Buffer) => AuthOutcome;

const ACCEPT: AuthOutcome = { ok: true, settle: () => undefined };
const DEFAULT_HUB_HEADER = 'x-hub-signature-256';

/** Checks requests against each source's configured authentication. */
export class SourceAuthenticator {
  private readonly verifiers = new Map<string, Verifier>();
  private readonly memo: WebhookReplayMemo;
  /** Sources configured with `auth: none` (the server warns about them at startup). */
  readonly unauthenticatedSources: string[] = [];

  constructor(config: CompiledConfig, env: Record<string, string | undefined>, options: AuthenticatorOptions = {}) {
    const toleranceMs = (options.toleranceSeconds ?? 300) * 1000;
    this.memo = new WebhookReplayMemo(2 * toleranceMs, options.replayMemoSize ?? 100_000, options.now ?? Date.now);
    for (const source of Object.values(config.sources)) {
      this.verifiers.set(source.name, this.verifierFor(source.name, source.auth, env));
      if (source.auth.type === 'none') this.unauthenticatedSources.push(source.name);
    }
  }

  /** Authenticates a request claiming to come from `source` (which must be configured). */
  authenticate(source: string, headers: HeaderBag, rawBody: Buffer): AuthOutcome {
    const verifier = this.verifiers.get(source);
    if (!verifier) return { ok: false, status: 401, code: 'UNKNOWN_SOURCE', detail: `unknown source "${source}"` };
    return verifier(headers, rawBody);
  }

  private verifierFor(source: string, auth: SourceAuth, env: Record<string, string | undefined>): Verifier {
    const secret = (name: string) => {
      const value = env[name];
      if (!value) {
        throw new IngestSetupError(
          `source "${source}" needs the secret in environment variable ${name}, which is not set; set it or change the source's auth`,
        );
      }
      return value;
    };
    switch (auth.type) {
      case 'none':
        return () => ACCEPT;
      case 'apiKey':
        return apiKeyVerifier(source, auth.header.toLowerCase(), secret(auth.env));
      case 'hubSignature':
        return hubSignatureVerifier(source, (auth.header || DEFAULT_HUB_HEADER).toLowerCase(), secret(auth.secretEnv));
      case 'standardWebhooks':
        return this.standardWebhooksVerifier(source, secret(auth.secretEnv));
      case 'webhookOnly':
        return () =>
          fail(
            source,
            'WEBHOOK_ONLY_SOURCE',
            `it sends native webhooks to POST /sources/${source}; give it an \`auth\` to take CloudEvents here too`,
          );
    }
  }

  private standardWebhooksVerifier(source: string, secrets: string): Verifier {
    // Several secrets (space-separated) let a source rotate its secret without downtime.
    let webhooks: Webhook[];
    try {
      webhooks = secrets
        .split(/\s+/)
        .filter(Boolean)
        .map((s) => new Webhook(s));
    } catch (err) {
      throw new IngestSetupError(
        `the Standard Webhooks secret of source "${source}" is not valid base64 (whsec_…): ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    return (headers, rawBody) => {
      const id = header(headers, 'webhook-id');
      const timestamp = header(headers, 'webhook-timestamp');
      const signature = header(headers, 'webhook-signature');
      if (!id || !timestamp || !signature) {
        return fail(
          source,
          'MISSING_SIGNATURE',
          'the webhook-id, webhook-timestamp and webhook-signature headers are required',
        );
      }
      let lastProblem = 'no matching signature';
      const verified = webhooks.some((webhook) => {
        try {
          webhook.verify(
            rawBody,
            { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature },
            { jsonParse: false },
          );
          return true;
        } catch (err) {
          if (!(err instanceof WebhookVerificationError)) throw err;
          lastProblem = err.message;
          return false;
        }
      });
      if (!verified) return fail(source, 'BAD_SIGNATURE', `Standard Webhooks verification failed: ${lastProblem}`);
      const key = `${source}\u0000${id}`;
      if (!this.memo.claim(key)) {
        return {
          ok: false,
          status: 409,
          code: 'WEBHOOK_REPLAYED',
          detail: `webhook-id "${id}" was already accepted from source "${source}"; a replay is refused`,
        };
      }
      return { ok: true, settle: (accepted) => (accepted ? undefined : this.memo.release(key)) };
    };
  }
}

function apiKeyVerifier(source: string, headerName: string, expected: string): Verifier {
  const expectedDigest = createHash('sha256').update(expected).digest();
  return (headers) => {
    const given = header(headers, headerName);
    if (!given) return fail(source, 'MISSING_API_KEY', `the ${headerName} header is required`);
    // Comparing fixed-length digests keeps the comparison constant-time whatever the key's length.
    const givenDigest = createHash('sha256').update(given).digest();
    return timingSafeEqual(givenDigest, expectedDigest)
      ? ACCEPT
      : fail(source, 'BAD_API_KEY', `the ${headerName} header is wrong`);
  };
}

function hubSignatureVerifier(source: string, headerName: string, secret: string): Verifier {
  return (headers, rawBody) => {
    const given = header(headers, headerName);
    if (!given) return fail(source, 'MISSING_SIGNATURE', `the ${headerName} header is required`);
    const match = /^sha256=([0-9a-f]{64})$/i.exec(given.trim());
    if (!match) return fail(source, 'BAD_SIGNATURE', `the ${headerName} header must be "sha256=<64 hex digits>"`);
    const expected = createHmac('sha256', secret).update(rawBody).digest();
    return timingSafeEqual(Buffer.from(match[1]!, 'hex'), expected)
      ? ACCEPT
      : fail(source, 'BAD_SIGNATURE', `the ${headerName} signature does not match the body`);
  };
}

function header(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function fail(source: string, code: ProblemCode, detail: string): AuthOutcome {
  return { ok: false, status: 401, code, detail: `source "${source}": ${detail}` };
}
