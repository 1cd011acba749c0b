/**
 * Sends payment events to the engine as Stripe sends them: a Stripe event object (`payment_intent.succeeded`
 * with the payment intent under `data.object`) posted to `POST /sources/payments`, signed with Stripe's
 * documented scheme — `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">` under the endpoint's
 * `whsec_…` secret, used as is. The demo's stand-in for Stripe; tests check Stripe's own library accepts it.
 */
import { createHmac } from 'node:crypto';

export interface StripePayment {
  /** The Stripe event id (`evt_…`): the engine's event id, so a resend is a duplicate. */
  eventId: string;
  teamId: string;
  huntId: string;
  /** In the currency's minor unit (cents), as Stripe counts. */
  amount: number;
  currency: string;
  email: string;
}

/** The Stripe event object of a succeeded payment intent. */
export function stripePaymentEvent(payment: StripePayment, createdSeconds: number): Record<string, unknown> {
  return {
    id: payment.eventId,
    object: 'event',
    api_version: '2024-06-20',
    created: createdSeconds,
    type: 'payment_intent.succeeded',
    livemode: false,
    pending_webhooks: 1,
    data: {
      object: {
        id: `pi_${payment.eventId.replace(/^evt_/, '')}`,
        object: 'payment_intent',
        amount: payment.amount,
        amount_received: payment.amount,
        currency: payment.currency.toLowerCase(),
        receipt_email: payment.email,
        metadata: { teamId: payment.teamId, huntId: payment.huntId },
        status: 'succeeded',
      },
    },
  };
}

/** The `Stripe-Signature` header for a payload, as Stripe computes it. */
export function stripeSignatureHeader(payload: string, secret: string, timestampSeconds: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestampSeconds}.${payload}`).digest('hex');
  return `t=${timestampSeconds},v1=${v1}`;
}

/** Posts a signed Stripe event to `<base>/sources/<source>?wait=true`; returns the rules fired. */
export async function sendStripePayment(
  base: string,
  secret: string,
  payment: StripePayment,
  source = 'payments',
): Promise<string[]> {
  const now = Math.floor(Date.now() / 1000);
  const payload = JSON.stringify(stripePaymentEvent(payment, now));
  const res = await fetch(`${base}/sources/${source}?wait=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': stripeSignatureHeader(payload, secret, now) },
    body: payload,
  });
  const body = (await res.json()) as { status?: string; fired?: string[]; detail?: string };
  if (!res.ok)
    throw new Error(`POST /sources/${source} answered ${res.status}: ${body.detail ?? JSON.stringify(body)}`);
  return body.fired ?? [];
}
