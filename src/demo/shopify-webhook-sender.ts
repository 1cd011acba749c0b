/**
 * Sends paid orders to the engine as Shopify sends them: the order object of the `orders/paid` topic posted to
 * `POST /sources/shop`, with Shopify's documented headers — `X-Shopify-Topic`, `X-Shopify-Webhook-Id` (the
 * delivery id the engine dedupes on), `X-Shopify-Shop-Domain`, `X-Shopify-API-Version`,
 * `X-Shopify-Triggered-At` — and `X-Shopify-Hmac-Sha256`, the base64 HMAC-SHA256 of the raw body under the
 * app's client secret. The demo's stand-in for Shopify; a test checks `@shopify/shopify-api` accepts it.
 */
import { createHmac } from 'node:crypto';

export interface ShopifyOrder {
  /** The order's numeric id. */
  id: number;
  /** The webhook delivery id: the engine's event id prefix, so a resend is a duplicate. */
  webhookId: string;
  /** The buyer's team: the hunt's shop asks for it in the order note. */
  teamId: string;
  email: string;
  /** Line items by SKU (the hunt sells `HINT`s, and merchandise the configuration ignores). */
  items: Array<{ sku: string; title: string; quantity: number; price: string }>;
  currency: string;
}

/** The order object Shopify posts on `orders/paid` (the fields a shop's webhook carries that the hunt reads). */
export function shopifyPaidOrder(order: ShopifyOrder, at: Date): Record<string, unknown> {
  const total = order.items.reduce((sum, item) => sum + Number(item.price) * item.quantity, 0).toFixed(2);
  return {
    id: order.id,
    admin_graphql_api_id: `gid://shopify/Order/${order.id}`,
    name: `#${order.id % 100_000}`,
    email: order.email,
    created_at: at.toISOString(),
    processed_at: at.toISOString(),
    currency: order.currency,
    financial_status: 'paid',
    total_price: total,
    note: order.teamId,
    line_items: order.items.map((item, index) => ({
      id: order.id * 100 + index + 1,
      admin_graphql_api_id: `gid://shopify/LineItem/${order.id * 100 + index + 1}`,
      sku: item.sku,
      title: item.title,
      name: item.title,
      quantity: item.quantity,
      price: item.price,
      requires_shipping: false,
    })),
  };
}

/** The `X-Shopify-Hmac-Sha256` header for a raw body, as Shopify computes it. */
export function shopifyHmacHeader(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64');
}

/** The headers Shopify sends with a webhook delivery of `topic`. */
export function shopifyHeaders(payload: string, secret: string, topic: string, webhookId: string, at: Date) {
  return {
    'content-type': 'application/json',
    'x-shopify-topic': topic,
    'x-shopify-hmac-sha256': shopifyHmacHeader(payload, secret),
    'x-shopify-shop-domain': 'treasure-hunt-shop.myshopify.com',
    'x-shopify-api-version': '2024-10',
    'x-shopify-webhook-id': webhookId,
    'x-shopify-triggered-at': at.toISOString(),
  };
}

/**
 * Posts a signed `orders/paid` webhook to `<base>/sources/<source>?wait=true`; returns, per event the order
 * became (one per HINT line item), the rules it fired; none when the order held no hint (`ignored`).
 */
export async function sendShopifyOrder(
  base: string,
  secret: string,
  order: ShopifyOrder,
  source = 'shop',
): Promise<string[][]> {
  const at = new Date();
  const payload = JSON.stringify(shopifyPaidOrder(order, at));
  const res = await fetch(`${base}/sources/${source}?wait=true`, {
    method: 'POST',
    headers: shopifyHeaders(payload, secret, 'orders/paid', order.webhookId, at),
    body: payload,
  });
  const body = (await res.json()) as {
    status?: string;
    fired?: string[];
    events?: Array<{ fired?: string[] }>;
    detail?: string;
  };
  if (!res.ok)
    throw new Error(`POST /sources/${source} answered ${res.status}: ${body.detail ?? JSON.stringify(body)}`);
  if (body.events) return body.events.map((e) => e.fired ?? []);
  return body.status === 'ignored' ? [] : [body.fired ?? []];
}
