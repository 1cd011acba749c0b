/**
 * POST /sources/<name> per preset, with requests signed by the vendors' libraries (webhook-signers.ts) and
 * the vendors' example payloads: accepted and mapped to the right event and entity, the delivery id as the
 * event id (so a redelivery is deduped downstream), tampered and stale requests refused with 401 before
 * anything is delivered, the handshakes answered, unmapped types ignored or rejected as configured.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { renderDocs } from '../../src/config/docs.js';
import { buildIngestServer } from '../../src/ingest/ingest-server.js';
import { FakeDeliverer, fixtureConfig } from './ingest-fixture.js';
import {
  WEBHOOK_ENV,
  examplePayload,
  githubRequest,
  inboundSms,
  scannerRequest,
  shopifyRequest,
  slackRequest,
  stripeRequest,
  svixRequest,
  twilioRequest,
} from './webhook-signers.js';
import type { NativeRequest } from './webhook-signers.js';

const config = fixtureConfig('webhook-hunt.yaml');

function server(now?: () => number) {
  const delivery = new FakeDeliverer(config);
  const app = buildIngestServer({
    config,
    delivery,
    logger: pino({ level: 'silent' }),
    env: WEBHOOK_ENV,
    ...(now ? { now } : {}),
  });
  const send = (request: NativeRequest, tamper?: (r: NativeRequest) => NativeRequest) => {
    const r = tamper ? tamper(request) : request;
    return app.inject({ method: 'POST', url: r.url, headers: r.headers, payload: r.payload });
  };
  return { app, delivery, send };
}

const tamperBody = (r: NativeRequest): NativeRequest => ({
  ...r,
  payload: r.payload.replace('red-foxes', 'blue-owls'),
});

describe('native webhook presets', () => {
  it('stripe: the event id is the evt_ id, the type from the body, data mapped by CEL; tampered and stale are 401', async () => {
    const { send, delivery } = server();
    const event = examplePayload('stripe-payment_intent.succeeded');
    const res = await send(stripeRequest(event));
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({
      status: 'accepted',
      id: 'evt_3OaCjlLkdIwHu7ix1ZsqP2Ab',
      type: 'payment.succeeded',
      nativeType: 'payment_intent.succeeded',
      workflowId: 'team/red-foxes',
    });
    expect(delivery.sent).toEqual([
      expect.objectContaining({
        id: 'evt_3OaCjlLkdIwHu7ix1ZsqP2Ab',
        source: 'stripe',
        type: 'payment.succeeded',
        time: '2024-06-01T10:00:00.000Z',
        data: { teamId: 'red-foxes', amount: 40, currency: 'eur' },
      }),
    ]);
    // A retry of the same event carries the same id: the entity dedupes it (see sources-temporal.test.ts).
    expect((await send(stripeRequest(event))).json().id).toBe('evt_3OaCjlLkdIwHu7ix1ZsqP2Ab');

    const tampered = await send(stripeRequest(event), tamperBody);
    expect(tampered.statusCode).toBe(401);
    expect(tampered.json()).toMatchObject({ code: 'BAD_SIGNATURE' });
    const stale = await send(stripeRequest(event, { timestamp: Math.floor(Date.now() / 1000) - 600 }));
    expect(stale.statusCode).toBe(401);
    expect(stale.json().code).toBe('STALE_SIGNATURE');
    const wrongSecret = await send(stripeRequest(event, { secret: 'whsec_other' }));
    expect(wrongSecret.json().code).toBe('BAD_SIGNATURE');
    const unsigned = await send(stripeRequest(event), (r) => ({
      ...r,
      headers: { 'content-type': 'application/json' },
    }));
    expect(unsigned.json().code).toBe('MISSING_SIGNATURE');
    expect(delivery.sent).toHaveLength(2);
  });

  it('stripe: a type the source does not map is ignored with 200 and counted', async () => {
    const { app, send, delivery } = server();
    const event = { ...examplePayload('stripe-payment_intent.succeeded'), id: 'evt_other', type: 'customer.created' };
    const res = await send(stripeRequest(event));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ignored', nativeType: 'customer.created' });
    expect(delivery.sent).toHaveLength(0);
    const metrics = await app.inject('/metrics');
    expect(metrics.body).toMatch(
      /hunt_ingest_webhooks_total\{source="stripe",native_type="customer.created",outcome="ignored"\} 1/,
    );
  });

  it('github: the delivery id is the event id, ping is answered without an event, a key takes its actions', async () => {
    const { send, delivery } = server();
    const push = await send(await githubRequest('push', examplePayload('github-push'), { delivery: 'd-1' }));
    expect(push.statusCode).toBe(202);
    expect(delivery.sent[0]).toMatchObject({
      id: 'd-1',
      type: 'code.pushed',
      subject: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
      data: { teamId: 'red-foxes', commits: 2, ref: 'refs/heads/main' },
    });
    const ping = await send(await githubRequest('ping', examplePayload('github-ping')));
    expect(ping.statusCode).toBe(200);
    expect(ping.json()).toEqual({ status: 'pong', zen: 'Responsive is better than fast.' });

    const issue = { action: 'opened', issue: { title: 'Riddle 4 is wrong' }, repository: { name: 'red-foxes' } };
    const opened = await send(await githubRequest('issues', issue, { delivery: 'd-2' }));
    expect(opened.statusCode).toBe(202);
    expect(opened.json()).toMatchObject({ nativeType: 'issues.opened', type: 'issue.opened' });
    // `if` false → unmapped; this source rejects unmapped types with 422.
    const closed = await send(await githubRequest('issues', { ...issue, action: 'closed' }));
    expect(closed.statusCode).toBe(422);
    expect(closed.json()).toMatchObject({ code: 'UNMAPPED_TYPE' });
    const star = await send(await githubRequest('star', { action: 'created', repository: { name: 'red-foxes' } }));
    expect(star.statusCode).toBe(422);

    const tampered = await send(await githubRequest('push', examplePayload('github-push')), tamperBody);
    expect(tampered.statusCode).toBe(401);
    const badPing = await send(await githubRequest('ping', examplePayload('github-ping'), { secret: 'nope' }));
    expect(badPing.statusCode).toBe(401);
    expect(delivery.sent.map((e) => e.id)).toEqual(['d-1', 'd-2']);
  });

  it('shopify: accepted by Shopify’s validator and by the engine; the webhook id is the event id', async () => {
    const { send, delivery } = server();
    const order = examplePayload('shopify-orders-create');
    const res = await send(await shopifyRequest('orders/create', order, { webhookId: 'wh-1' }));
    expect(res.statusCode).toBe(202);
    expect(delivery.sent[0]).toMatchObject({
      id: 'wh-1',
      type: 'order.placed',
      time: '2026-05-01T14:00:00.123456789Z',
      data: { teamId: 'red-foxes', orderId: 'gid://shopify/Order/820982911946154508', total: '403.00' },
    });
    expect((await send(await shopifyRequest('orders/create', order), tamperBody)).statusCode).toBe(401);
    expect((await send(await shopifyRequest('orders/create', order, { secret: 'x' }))).statusCode).toBe(401);
    const unmapped = await send(await shopifyRequest('products/update', { id: 1 }));
    expect(unmapped.json()).toMatchObject({ status: 'ignored', nativeType: 'products/update' });
  });

  it('each: one Shopify order becomes one event per line item, ids the webhook id + #index; none when the list is empty', async () => {
    const { send, delivery } = server();
    const order = examplePayload('shopify-orders-create');
    const res = await send(await shopifyRequest('orders/paid', order, { webhookId: 'wh-9' }));
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({
      status: 'accepted',
      nativeType: 'orders/paid',
      events: [
        { id: 'wh-9#0', type: 'item.bought', workflowId: 'team/red-foxes' },
        { id: 'wh-9#1', type: 'item.bought', workflowId: 'team/red-foxes' },
      ],
    });
    expect(delivery.sent).toEqual([
      expect.objectContaining({
        id: 'wh-9#0',
        subject: 'MAP-1',
        data: { teamId: 'red-foxes', sku: 'MAP-1', quantity: 1, line: 0 },
      }),
      expect.objectContaining({
        id: 'wh-9#1',
        subject: 'CMP-1',
        data: { teamId: 'red-foxes', sku: 'CMP-1', quantity: 1, line: 1 },
      }),
    ]);
    const empty = await send(await shopifyRequest('orders/paid', { ...order, line_items: [] }));
    expect(empty.statusCode).toBe(200);
    expect(empty.json()).toMatchObject({ status: 'ignored', nativeType: 'orders/paid' });
    // One invalid item refuses the whole request: nothing is delivered, the sender retries it whole.
    const bad = { ...order, line_items: [{ sku: 'MAP-1', quantity: 1 }, { quantity: 2 }] };
    const refused = await send(await shopifyRequest('orders/paid', bad, { webhookId: 'wh-10' }));
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ code: 'MAPPING_FAILED' });
    expect(refused.json().detail).toMatch(/subject \(item 1\) "item.sku".*No such key: sku/);
    // An item that maps but is not a valid event (no team to route to) is named by its index and id.
    const unroutable = await send(
      await shopifyRequest('orders/paid', { ...order, note: null }, { webhookId: 'wh-11' }),
    );
    expect(unroutable.statusCode).toBe(422);
    expect(unroutable.json().detail).toMatch(/^mapped event 0 \(id wh-11#0\)/);
    const notAList = await send(await shopifyRequest('orders/paid', { ...order, line_items: 'none' }));
    expect(notAList.statusCode).toBe(422);
    expect(notAList.json()).toMatchObject({ code: 'MAPPING_FAILED' });
    expect(notAList.json().detail).toMatch(/each "body.line_items" gave "none"; it must be a list/);
    expect(delivery.sent).toHaveLength(2);
  });

  it('slack: the challenge is echoed, the event id dedupes retries, slash commands come form-encoded', async () => {
    const { send, delivery } = server();
    const challenge = await send(slackRequest(examplePayload('slack-url_verification')));
    expect(challenge.statusCode).toBe(200);
    expect(challenge.json()).toEqual({ challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' });

    const mention = examplePayload('slack-app_mention');
    expect((await send(slackRequest(mention))).statusCode).toBe(202);
    expect((await send(slackRequest(mention, { retryNum: 1 }))).statusCode).toBe(202);
    expect(delivery.sent.map((e) => e.id)).toEqual(['Ev123ABC456', 'Ev123ABC456']);
    expect(delivery.sent[0]).toMatchObject({
      type: 'hint.requested',
      time: '2018-01-08T22:12:02.000Z',
      data: { teamId: 'red-foxes', text: "What is the hunt's easiest location? <@U0LAN0Z89>" },
    });

    const command = new URLSearchParams({
      token: 'gIkuvaNzQIHg97ATvDxqgjtO',
      team_id: 'T0001',
      channel_id: 'blue-owls',
      user_id: 'U2147483697',
      command: '/hint',
      text: 'riddle 3',
      trigger_id: '13345224609.738474920.8088930838d88f008e0',
    }).toString();
    const slash = await send(slackRequest(command, { contentType: 'application/x-www-form-urlencoded' }));
    expect(slash.statusCode).toBe(202);
    expect(delivery.sent[2]).toMatchObject({
      id: '13345224609.738474920.8088930838d88f008e0',
      data: { teamId: 'blue-owls', text: 'riddle 3' },
    });

    const stale = await send(slackRequest(mention, { timestamp: Math.floor(Date.now() / 1000) - 301 }));
    expect(stale.json()).toMatchObject({ status: 401, code: 'STALE_SIGNATURE' });
    const forgedChallenge = await send(slackRequest(examplePayload('slack-url_verification'), { secret: 'x' }));
    expect(forgedChallenge.statusCode).toBe(401);
  });

  it('svix: the svix-id is the event id; Standard Webhooks header names work too; stale and tampered are 401', async () => {
    const { send, delivery } = server();
    const user = examplePayload('clerk-user.created');
    expect((await send(svixRequest(user, { id: 'msg_1' }))).statusCode).toBe(202);
    expect((await send(svixRequest(user, { id: 'msg_2', standardHeaders: true }))).statusCode).toBe(202);
    expect(delivery.sent.map((e) => [e.id, e.type, e.data])).toEqual([
      ['msg_1', 'player.joined', { teamId: 'red-foxes', playerId: 'user_29w83sxmDNGwOuEthce5gg56FcC' }],
      ['msg_2', 'player.joined', { teamId: 'red-foxes', playerId: 'user_29w83sxmDNGwOuEthce5gg56FcC' }],
    ]);
    const stale = await send(svixRequest(user, { at: new Date(Date.now() - 10 * 60_000) }));
    expect(stale.json().code).toBe('STALE_SIGNATURE');
    expect((await send(svixRequest(user), tamperBody)).statusCode).toBe(401);
  });

  it('twilio: form fields are the body; the signature covers the URL and sorted fields', async () => {
    const { send, delivery } = server();
    const res = await send(twilioRequest(inboundSms('red-foxes found the fountain'), { idempotencyToken: 'tok-1' }));
    expect(res.statusCode).toBe(202);
    expect(delivery.sent[0]).toMatchObject({
      id: 'tok-1',
      type: 'text.received',
      subject: '+15558675310',
      data: { teamId: 'red-foxes', from: '+15558675310' },
    });
    const forged = await send(twilioRequest(inboundSms('red-foxes')), (r) => ({
      ...r,
      payload: r.payload.replace('received', 'delivered'),
    }));
    expect(forged.statusCode).toBe(401);
    expect((await send(twilioRequest(inboundSms('x'), { token: 'other-token' }))).statusCode).toBe(401);
  });

  it('generic: HMAC over "timestamp.body" with a prefix; the id and type from CEL; stale is 401', async () => {
    const { send, delivery } = server();
    const scan = { scanId: 'scan-77', kind: 'scan', team: 'red-foxes' };
    const wrongShape = await send(scannerRequest(scan));
    // The mapping passes the body as data; the event's schema requires teamId and checkpoint: 422, listed.
    expect(wrongShape.statusCode).toBe(422);
    expect(wrongShape.json().errors.map((e: { pointer: string }) => e.pointer)).toEqual([
      '/data/teamId',
      '/data/checkpoint',
    ]);
    const good = await send(
      scannerRequest({ scanId: 'scan-78', kind: 'scan', teamId: 'red-foxes', checkpoint: 'cp-2' }),
    );
    expect(good.statusCode).toBe(202);
    expect(delivery.sent[0]).toMatchObject({ id: 'scan-78', type: 'checkpoint.scanned' });
    const stale = await send(scannerRequest(scan, { timestamp: Math.floor(Date.now() / 1000) - 3600 }));
    expect(stale.json().code).toBe('STALE_SIGNATURE');
    expect((await send(scannerRequest(scan, { secret: 'x' }))).json().code).toBe('BAD_SIGNATURE');
  });
});

describe('POST /sources/<name> as an HTTP resource', () => {
  it('answers 503 with Retry-After when Temporal does not take the event, and acknowledges nothing', async () => {
    const { send, delivery } = server();
    delivery.unavailable = true;
    const res = await send(stripeRequest(examplePayload('stripe-payment_intent.succeeded')));
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.json().code).toBe('ENGINE_UNAVAILABLE');
  });

  it('404 for a source that takes no webhooks, 405 with Allow for other methods', async () => {
    const { app } = server();
    const unknown = await app.inject({ method: 'POST', url: '/sources/nope', payload: '{}' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().detail).toMatch(/sources taking webhooks: stripe, github/);
    const get = await app.inject('/sources/stripe');
    expect(get.statusCode).toBe(405);
    expect(get.headers.allow).toBe('POST');
  });

  it('a mapping that fails on the payload is 422 naming the expression', async () => {
    const { send } = server();
    const event = { id: 'evt_x', type: 'payment_intent.succeeded', created: 1717236000, data: {} };
    const res = await send(stripeRequest(event));
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('MAPPING_FAILED');
    expect(res.json().detail).toMatch(/events\["payment_intent.succeeded"\].data/);
  });

  it('a webhook-only source is refused at POST /events, pointing at its URL', async () => {
    const { app } = server();
    const res = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { 'content-type': 'application/cloudevents+json' },
      payload: JSON.stringify({ specversion: '1.0', id: '1', source: 'stripe', type: 'payment.succeeded', data: {} }),
    });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'WEBHOOK_ONLY_SOURCE' });
    expect(res.json().detail).toMatch(/POST \/sources\/stripe/);
  });

  it('refuses to start when a webhook secret is not set', () => {
    expect(() =>
      buildIngestServer({
        config,
        delivery: new FakeDeliverer(config),
        logger: pino({ level: 'silent' }),
        env: { ...WEBHOOK_ENV, STRIPE_WEBHOOK_SECRET: undefined },
      }),
    ).toThrow(/STRIPE_WEBHOOK_SECRET/);
  });

  it('each webhook source is listed with its URL in hunt docs, the live map and the OpenAPI document', async () => {
    const { app } = server();
    const docs = renderDocs(config);
    expect(docs).toContain(
      '- **stripe**: `POST /sources/stripe`, preset `stripe`, secret in env `STRIPE_WEBHOOK_SECRET`',
    );
    expect(docs).toContain('  - `payment_intent.succeeded` → **payment.succeeded**');
    const page = (await app.inject('/')).body;
    expect(page).toContain('<code>POST /sources/github</code> (github webhook)');
    // The generic source also takes CloudEvents (it has `auth`); the others only their native webhooks.
    expect(page).toMatch(
      /scanner<\/th><td><code>POST \/sources\/scanner<\/code> \(generic webhook\), <code>POST \/events/,
    );
    const openApi = (await app.inject('/openapi.json')).json<{
      paths: Record<string, { post: { parameters: Array<{ name: string }> } }>;
    }>();
    expect(Object.keys(openApi.paths).filter((p) => p.startsWith('/sources/'))).toEqual([
      '/sources/stripe',
      '/sources/github',
      '/sources/shopify',
      '/sources/slack',
      '/sources/clerk',
      '/sources/sms',
      '/sources/scanner',
    ]);
    expect(openApi.paths['/sources/scanner']!.post.parameters.map((p) => p.name).sort()).toEqual([
      'wait',
      'x-scanner-signature',
      'x-scanner-timestamp',
    ]);
  });
});
