/**
 * Native webhooks end to end against the shared Temporal dev server and real engine workers, over real
 * HTTP (Fastify listening on 127.0.0.1): each preset's vendor-signed request reaches its entity, folds into
 * state and fires its rule; the vendor's redelivery (same delivery id) is a duplicate; a forged request
 * never reaches Temporal (the entity does not exist).
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { EntityDelivery } from '../../src/client/delivery.js';
import { buildIngestServer } from '../../src/ingest/ingest-server.js';
import { startTestEngine, temporalTestContext, uniqueName } from '../helpers/temporal.js';
import type { TestEngine } from '../helpers/temporal.js';
import { fixtureConfig } from './ingest-fixture.js';
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

/** A vendor example payload with its team (and ids) replaced, so tests share no entity. */
function payloadFor<T>(name: string, team: string): T {
  return JSON.parse(JSON.stringify(examplePayload(name)).replaceAll('red-foxes', team)) as T;
}

describe('native webhooks against a real Temporal server', () => {
  let engine: TestEngine;
  let app: FastifyInstance;
  let address: string;

  beforeAll(async () => {
    engine = await startTestEngine(config, { env: WEBHOOK_ENV });
    const ctx = await temporalTestContext();
    const delivery = new EntityDelivery({
      client: ctx.client,
      taskQueue: engine.taskQueue,
      config,
      coalesceWindowMs: 5,
    });
    app = buildIngestServer({
      config,
      delivery,
      client: ctx.client,
      logger: pino({ level: 'silent' }),
      env: WEBHOOK_ENV,
    });
    address = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await engine?.stop();
  });

  const post = async (request: NativeRequest, query = '') => {
    const res = await fetch(`${address}${request.url}${query}`, {
      method: 'POST',
      headers: request.headers,
      body: request.payload,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const entity = async (key: string) => {
    const res = await app.inject(`/entities/team/${key}`);
    return res.statusCode === 200 ? res.json<{ eventCount: number; state: Record<string, unknown> }>() : undefined;
  };
  const firedFor = async (key: string, eventId: string) => {
    const traces = (await app.inject(`/entities/team/${key}/explain?eventId=${encodeURIComponent(eventId)}`)).json<
      Array<{ status: string; verdicts: Array<{ ruleId: string; fired: boolean }> }>
    >();
    return traces.map((t) => ({ status: t.status, fired: t.verdicts.filter((v) => v.fired).map((v) => v.ruleId) }));
  };

  /** Sends, waits for the answer, redelivers (the vendor's retry), and checks both answers and the trace. */
  async function deliverTwice(request: NativeRequest, key: string, rule: string, query = '?wait=true') {
    const first = await post(request, query);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'accepted', workflowId: `team/${key}`, fired: [rule] });
    const again = await post(request, query);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'duplicate', id: first.body.id });
    expect(await firedFor(key, first.body.id as string)).toEqual([
      { status: 'accepted', fired: [rule] },
      { status: 'duplicate', fired: [] },
    ]);
    return first.body;
  }

  it('stripe: payment_intent.succeeded pays the team and fires welcome-paid; the retry is a duplicate', async () => {
    const key = uniqueName('team');
    const event = {
      ...payloadFor<Record<string, unknown>>('stripe-payment_intent.succeeded', key),
      id: uniqueName('evt'),
    };
    await deliverTwice(stripeRequest(event), key, 'welcome-paid');
    expect((await entity(key))?.state).toMatchObject({ paid: true, welcomed: true });
    expect((await entity(key))?.eventCount).toBe(1);
  });

  it('github: a push counts its commits and fires count-push; the redelivery is a duplicate', async () => {
    const key = uniqueName('repo');
    const request = await githubRequest('push', payloadFor('github-push', key));
    await deliverTwice(request, key, 'count-push');
    expect((await entity(key))?.state).toMatchObject({
      pushes: 2,
      lastPush: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
    });
  });

  it('shopify: orders/create appends the order and fires note-order', async () => {
    const key = uniqueName('team');
    await deliverTwice(
      await shopifyRequest('orders/create', payloadFor('shopify-orders-create', key)),
      key,
      'note-order',
    );
    expect((await entity(key))?.state).toMatchObject({
      orders: ['gid://shopify/Order/820982911946154508'],
      ordered: true,
    });
  });

  it('shopify each: orders/paid gives one item.bought per line item, each fires count-items once; the retry is duplicates', async () => {
    const key = uniqueName('team');
    const request = await shopifyRequest('orders/paid', payloadFor('shopify-orders-create', key));
    const first = await post(request, '?wait=true');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      status: 'accepted',
      events: [
        { status: 'accepted', workflowId: `team/${key}`, fired: ['count-items'] },
        { status: 'accepted', workflowId: `team/${key}`, fired: ['count-items'] },
      ],
    });
    const again = await post(request, '?wait=true');
    expect(again.body).toMatchObject({
      status: 'duplicate',
      events: [{ status: 'duplicate' }, { status: 'duplicate' }],
    });
    expect((await entity(key))?.state).toMatchObject({ items: ['MAP-1', 'CMP-1'], itemsBought: 2, lastItem: 'CMP-1' });
  });

  it('slack: an app_mention and its X-Slack-Retry-Num retry count once', async () => {
    const key = uniqueName('channel');
    const mention = { ...payloadFor<Record<string, unknown>>('slack-app_mention', key), event_id: uniqueName('Ev') };
    await post(slackRequest(mention));
    const retry = await post(slackRequest(mention, { retryNum: 1 }), '?wait=true');
    expect(retry.body).toMatchObject({ status: 'duplicate' });
    await expect.poll(async () => (await entity(key))?.state.hints, { timeout: 20_000 }).toBe(1);
    expect((await entity(key))?.state.hinted).toBe(true);
  });

  it('svix: a Clerk user.created joins the player and fires greet-player', async () => {
    const key = uniqueName('team');
    await deliverTwice(svixRequest(payloadFor('clerk-user.created', key)), key, 'greet-player');
    expect((await entity(key))?.state.players).toEqual(['user_29w83sxmDNGwOuEthce5gg56FcC']);
  });

  it('twilio: an inbound SMS (form-encoded) reaches the team named in its body', async () => {
    const key = uniqueName('team');
    const request = twilioRequest(inboundSms(`${key} found the fountain`));
    expect((await post(request)).status).toBe(202);
    expect((await post(request)).status).toBe(202);
    await expect
      .poll(async () => (await entity(key))?.state, { timeout: 20_000 })
      .toMatchObject({
        texts: ['+15558675310'],
        texted: true,
      });
    expect((await entity(key))?.eventCount).toBe(1);
  });

  it('generic HMAC: a scan reaches its team; a forged one never reaches Temporal', async () => {
    const key = uniqueName('team');
    const scan = { scanId: uniqueName('scan'), kind: 'scan', teamId: key, checkpoint: 'cp-3' };
    await deliverTwice(scannerRequest(scan), key, 'note-scan');
    const forgedKey = uniqueName('team');
    const forged = await post(
      scannerRequest({ ...scan, scanId: uniqueName('scan'), teamId: forgedKey }, { secret: 'guess' }),
    );
    expect(forged.status).toBe(401);
    expect(await entity(forgedKey)).toBeUndefined();
  });
});
