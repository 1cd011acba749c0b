/**
 * Native webhook requests signed as the vendors sign them, by the vendors' own libraries where they ship a
 * signer (Stripe, GitHub, Svix, Twilio); for Shopify and Slack, whose libraries ship only verifiers, the
 * documented HMAC is computed here and every request is first passed through the vendor's verifier
 * (`@shopify/shopify-api`, `@slack/bolt`), so a test cannot sign in a way the vendor would not accept.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sign as signGithub } from '@octokit/webhooks-methods';
import '@shopify/shopify-api/adapters/web-api';
import { ApiVersion, shopifyApi } from '@shopify/shopify-api';
import { verifySlackRequest } from '@slack/bolt';
import Stripe from 'stripe';
import { Webhook as SvixWebhook } from 'svix';
import twilio from 'twilio';

export const WEBHOOK_ENV = {
  STRIPE_WEBHOOK_SECRET: 'whsec_test_stripe_0123456789abcdef',
  GITHUB_WEBHOOK_SECRET: 'github-webhook-secret',
  SHOPIFY_CLIENT_SECRET: 'shopify-client-secret',
  SLACK_SIGNING_SECRET: '8f742231b10e8888abcd99yyyzzz85a5',
  CLERK_WEBHOOK_SECRET: `whsec_${Buffer.from('clerk-signing-key-0123456789abcdef').toString('base64')}`,
  TWILIO_AUTH_TOKEN: '12345abcdefg12345abcdefg12345abc',
  SCANNER_SECRET: 'scanner-hmac-secret',
  SCANNER_KEY: 'scanner-key',
};

export const TWILIO_URL = 'https://hunt.example.com/sources/sms';

export interface NativeRequest {
  url: string;
  headers: Record<string, string>;
  payload: string;
}

/** A vendor's documented example payload (test/ingest/fixtures/webhooks/), as an object to adjust. */
export function examplePayload<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/webhooks/${name}.json`, import.meta.url), 'utf8')) as T;
}

const stripe = new Stripe('sk_test_not_used');

/** A Stripe event as Stripe posts it, signed by `stripe.webhooks.generateTestHeaderString`. */
export function stripeRequest(event: unknown, options: { timestamp?: number; secret?: string } = {}): NativeRequest {
  const payload = JSON.stringify(event);
  const header = stripe.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? WEBHOOK_ENV.STRIPE_WEBHOOK_SECRET,
    ...(options.timestamp !== undefined ? { timestamp: options.timestamp } : {}),
  });
  // The vendor's own verifier accepts what it signed (a sanity check of the test, not of the engine).
  if (options.timestamp === undefined && options.secret === undefined) {
    stripe.webhooks.constructEvent(payload, header, WEBHOOK_ENV.STRIPE_WEBHOOK_SECRET);
  }
  return {
    url: '/sources/stripe',
    headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': header },
    payload,
  };
}

/** A GitHub delivery, signed by `@octokit/webhooks-methods`. */
export async function githubRequest(
  event: string,
  body: unknown,
  options: { delivery?: string; secret?: string } = {},
): Promise<NativeRequest> {
  const payload = JSON.stringify(body);
  return {
    url: '/sources/github',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/044aadd',
      'x-github-event': event,
      'x-github-delivery': options.delivery ?? randomUUID(),
      'x-github-hook-id': '109948940',
      'x-hub-signature-256': await signGithub(options.secret ?? WEBHOOK_ENV.GITHUB_WEBHOOK_SECRET, payload),
    },
    payload,
  };
}

const shopify = shopifyApi({
  apiKey: 'test-api-key',
  apiSecretKey: WEBHOOK_ENV.SHOPIFY_CLIENT_SECRET,
  scopes: ['read_orders'],
  hostName: 'hunt.example.com',
  apiVersion: ApiVersion.October24,
  isEmbeddedApp: false,
  logger: { level: 0, log: async () => undefined },
});

/** A Shopify webhook, HMAC as documented, accepted by `@shopify/shopify-api`'s `webhooks.validate` first. */
export async function shopifyRequest(
  topic: string,
  body: unknown,
  options: { webhookId?: string; secret?: string } = {},
): Promise<NativeRequest> {
  const payload = JSON.stringify(body);
  const hmac = createHmac('sha256', options.secret ?? WEBHOOK_ENV.SHOPIFY_CLIENT_SECRET)
    .update(payload)
    .digest('base64');
  const headers = {
    'content-type': 'application/json',
    'x-shopify-topic': topic,
    'x-shopify-hmac-sha256': hmac,
    'x-shopify-shop-domain': 'red-foxes.myshopify.com',
    'x-shopify-api-version': '2024-10',
    'x-shopify-webhook-id': options.webhookId ?? randomUUID(),
    'x-shopify-triggered-at': '2026-05-01T14:00:00.123456789Z',
  };
  if (options.secret === undefined) {
    const check = await shopify.webhooks.validate({
      rawBody: payload,
      rawRequest: new Request('https://hunt.example.com/sources/shopify', { method: 'POST', headers, body: payload }),
    });
    if (!check.valid) throw new Error(`Shopify's own validator refused the test request: ${JSON.stringify(check)}`);
  }
  return { url: '/sources/shopify', headers, payload };
}

/** A Slack request, signed as documented, accepted by `@slack/bolt`'s `verifySlackRequest` first. */
export function slackRequest(
  body: unknown,
  options: { timestamp?: number; retryNum?: number; secret?: string; contentType?: string } = {},
): NativeRequest {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = `v0=${createHmac('sha256', options.secret ?? WEBHOOK_ENV.SLACK_SIGNING_SECRET)
    .update(`v0:${timestamp}:${payload}`)
    .digest('hex')}`;
  if (options.timestamp === undefined && options.secret === undefined) {
    verifySlackRequest({
      signingSecret: WEBHOOK_ENV.SLACK_SIGNING_SECRET,
      body: payload,
      headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp },
    });
  }
  return {
    url: '/sources/slack',
    headers: {
      'content-type': options.contentType ?? 'application/json',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signature,
      ...(options.retryNum !== undefined
        ? { 'x-slack-retry-num': String(options.retryNum), 'x-slack-retry-reason': 'http_timeout' }
        : {}),
    },
    payload,
  };
}

/** A Svix message (Clerk's user.created), signed by `svix`'s `Webhook.sign`. */
export function svixRequest(
  body: unknown,
  options: { id?: string; at?: Date; secret?: string; standardHeaders?: boolean } = {},
): NativeRequest {
  const payload = JSON.stringify(body);
  const id = options.id ?? `msg_${randomUUID().replace(/-/g, '')}`;
  const at = options.at ?? new Date();
  const signature = new SvixWebhook(options.secret ?? WEBHOOK_ENV.CLERK_WEBHOOK_SECRET).sign(id, at, payload);
  const prefix = options.standardHeaders ? 'webhook' : 'svix';
  return {
    url: '/sources/clerk',
    headers: {
      'content-type': 'application/json',
      [`${prefix}-id`]: id,
      [`${prefix}-timestamp`]: String(Math.floor(at.getTime() / 1000)),
      [`${prefix}-signature`]: signature,
    },
    payload,
  };
}

/** A Twilio form-encoded webhook, signed by `twilio.getExpectedTwilioSignature` and checked by `validateRequest`. */
export function twilioRequest(
  fields: Record<string, string>,
  options: { token?: string; idempotencyToken?: string } = {},
): NativeRequest {
  const token = options.token ?? WEBHOOK_ENV.TWILIO_AUTH_TOKEN;
  const signature = twilio.getExpectedTwilioSignature(token, TWILIO_URL, fields);
  if (options.token === undefined && !twilio.validateRequest(token, signature, TWILIO_URL, fields)) {
    throw new Error("twilio's own validateRequest refused the test request");
  }
  return {
    url: '/sources/sms',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signature,
      'i-twilio-idempotency-token': options.idempotencyToken ?? randomUUID(),
    },
    payload: new URLSearchParams(fields).toString(),
  };
}

/** A generic HMAC request: sha256 hex over "timestamp.body", as the scanner fixture source declares. */
export function scannerRequest(body: unknown, options: { timestamp?: number; secret?: string } = {}): NativeRequest {
  const payload = JSON.stringify(body);
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const digest = createHmac('sha256', options.secret ?? WEBHOOK_ENV.SCANNER_SECRET)
    .update(`${timestamp}.${payload}`)
    .digest('hex');
  return {
    url: '/sources/scanner',
    headers: {
      'content-type': 'application/json',
      'x-scanner-timestamp': timestamp,
      'x-scanner-signature': `sha256=${digest}`,
    },
    payload,
  };
}

/** An example Twilio inbound SMS (documented request parameters). */
export function inboundSms(body: string): Record<string, string> {
  return {
    ToCountry: 'US',
    ToState: 'CA',
    SmsMessageSid: 'SM1f0e8ae6ade43cb3c0ce4525424e404f',
    NumMedia: '0',
    ToCity: '',
    FromZip: '94105',
    SmsSid: 'SM1f0e8ae6ade43cb3c0ce4525424e404f',
    FromState: 'CA',
    SmsStatus: 'received',
    FromCity: 'SAN FRANCISCO',
    Body: body,
    FromCountry: 'US',
    To: '+15017122661',
    ToZip: '',
    NumSegments: '1',
    MessageSid: 'SM1f0e8ae6ade43cb3c0ce4525424e404f',
    AccountSid: 'AC8d0e5d2b8a4c1f0e9b6a7c3d2e1f0a9b',
    From: '+15558675310',
    ApiVersion: '2010-04-01',
  };
}
