/** The demo's Stripe stand-in signs as Stripe does: Stripe's own library accepts its requests. */
import pino from 'pino';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { loadCompiledConfig } from '../../src/config/index.js';
import { stripePaymentEvent, stripeSignatureHeader } from '../../src/demo/stripe-webhook-sender.js';
import { buildIngestServer } from '../../src/ingest/ingest-server.js';
import { FakeDeliverer } from '../ingest/ingest-fixture.js';

describe('the demo’s Stripe webhooks', () => {
  it('are accepted by stripe.webhooks.constructEvent and carry the payment in Stripe’s shape', () => {
    const secret = 'whsec_demo_secret';
    const now = Math.floor(Date.now() / 1000);
    const payload = JSON.stringify(
      stripePaymentEvent(
        { eventId: 'evt_1', teamId: 'red-foxes', huntId: 'h', amount: 4000, currency: 'EUR', email: 'a@b.example' },
        now,
      ),
    );
    const event = new Stripe('sk_test_x').webhooks.constructEvent(
      payload,
      stripeSignatureHeader(payload, secret, now),
      secret,
    );
    expect(event).toMatchObject({
      id: 'evt_1',
      type: 'payment_intent.succeeded',
      data: { object: { amount: 4000, currency: 'eur', metadata: { teamId: 'red-foxes', huntId: 'h' } } },
    });
    expect(() =>
      new Stripe('sk_test_x').webhooks.constructEvent(
        payload,
        stripeSignatureHeader(payload, 'whsec_other', now),
        secret,
      ),
    ).toThrow();
  });

  it('map to a valid payment.succeeded of the reference configuration at POST /sources/payments', async () => {
    const config = await loadCompiledConfig('examples/treasure-hunt/hunt.yaml');
    const secret = 'whsec_' + Buffer.from('x'.repeat(24)).toString('base64');
    const delivery = new FakeDeliverer(config);
    const env = {
      PAYMENTS_WEBHOOK_SECRET: secret,
      SHOP_WEBHOOK_SECRET: 's',
      SCANNER_API_KEY: 'k',
      GAME_SIGNING_SECRET: 'g',
      ADMIN_API_KEY: 'a',
    };
    const app = buildIngestServer({ config, delivery, logger: pino({ level: 'silent' }), env });
    const now = Math.floor(Date.now() / 1000);
    const payment = {
      eventId: 'evt_9',
      teamId: 'red-foxes',
      huntId: 'spring',
      amount: 4000,
      currency: 'eur',
      email: 'c@red-foxes.example',
    };
    const payload = JSON.stringify(stripePaymentEvent(payment, now));
    const res = await app.inject({
      method: 'POST',
      url: '/sources/payments',
      headers: { 'content-type': 'application/json', 'stripe-signature': stripeSignatureHeader(payload, secret, now) },
      payload,
    });
    expect(res.statusCode).toBe(202);
    expect(delivery.sent[0]).toMatchObject({
      id: 'evt_9',
      source: 'payments',
      type: 'payment.succeeded',
      data: { teamId: 'red-foxes', huntId: 'spring', amount: 40, currency: 'EUR', email: 'c@red-foxes.example' },
    });
  });
});
