/** The demo's Shopify stand-in signs as Shopify does: Shopify's own library accepts its requests. */
import '@shopify/shopify-api/adapters/web-api';
import { ApiVersion, shopifyApi } from '@shopify/shopify-api';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadCompiledConfig } from '../../src/config/index.js';
import { shopifyHeaders, shopifyPaidOrder, type ShopifyOrder } from '../../src/demo/shopify-webhook-sender.js';
import { buildIngestServer } from '../../src/ingest/ingest-server.js';
import { FakeDeliverer } from '../ingest/ingest-fixture.js';

const SECRET = 'shop-client-secret-0123';
const shopify = shopifyApi({
  apiKey: 'demo-api-key',
  apiSecretKey: SECRET,
  scopes: ['read_orders'],
  hostName: 'hunt.example.com',
  apiVersion: ApiVersion.October24,
  isEmbeddedApp: false,
  logger: { level: 0, log: async () => undefined },
});

const order: ShopifyOrder = {
  id: 5_800_000_001,
  webhookId: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
  teamId: 'blue-owls',
  email: 'captain@blue-owls.example',
  currency: 'EUR',
  items: [
    { sku: 'HINT', title: 'Hint', quantity: 1, price: '2.00' },
    { sku: 'CAP', title: 'Team cap', quantity: 1, price: '12.00' },
    { sku: 'HINT', title: 'Hint', quantity: 1, price: '2.00' },
  ],
};

function request(secret: string) {
  const at = new Date('2026-05-01T14:00:00Z');
  const payload = JSON.stringify(shopifyPaidOrder(order, at));
  return { payload, headers: shopifyHeaders(payload, secret, 'orders/paid', order.webhookId, at) };
}

describe('the demo’s Shopify webhooks', () => {
  it('pass @shopify/shopify-api’s webhooks.validate, and fail it under another secret', async () => {
    for (const [secret, valid] of [
      [SECRET, true],
      ['another-secret', false],
    ] as const) {
      const { payload, headers } = request(secret);
      const check = await shopify.webhooks.validate({
        rawBody: payload,
        rawRequest: new Request('https://hunt.example.com/sources/shop', { method: 'POST', headers, body: payload }),
      });
      expect(check.valid).toBe(valid);
      if (check.valid) expect(check).toMatchObject({ topic: 'ORDERS_PAID', webhookId: order.webhookId });
    }
  });

  it('become one hint.requested per HINT line item at POST /sources/shop of the reference configuration', async () => {
    const config = await loadCompiledConfig('examples/treasure-hunt/hunt.yaml');
    const delivery = new FakeDeliverer(config);
    const env = {
      PAYMENTS_WEBHOOK_SECRET: 'whsec_' + Buffer.from('x'.repeat(24)).toString('base64'),
      SHOP_WEBHOOK_SECRET: SECRET,
      SCANNER_API_KEY: 'k',
      GAME_SIGNING_SECRET: 'g',
      ADMIN_API_KEY: 'a',
    };
    const app = buildIngestServer({ config, delivery, logger: pino({ level: 'silent' }), env });
    const { payload, headers } = request(SECRET);
    const res = await app.inject({ method: 'POST', url: '/sources/shop', headers, payload });
    expect(res.statusCode).toBe(202);
    expect(delivery.sent.map((e) => ({ id: e.id, type: e.type, data: e.data }))).toEqual([
      { id: `${order.webhookId}#0`, type: 'hint.requested', data: { teamId: 'blue-owls', paidHint: true } },
      { id: `${order.webhookId}#1`, type: 'hint.requested', data: { teamId: 'blue-owls', paidHint: true } },
    ]);
    const tampered = await app.inject({
      method: 'POST',
      url: '/sources/shop',
      headers,
      payload: payload.replace('blue-owls', 'red-foxes'),
    });
    expect(tampered.statusCode).toBe(401);
    await app.close();
  });
});
