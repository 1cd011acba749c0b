/** createHttpSender against a listening ingest server over a fake deliverer (no Temporal). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpSender, HttpSendError } from '../../src/client/http-sender.js';
import { GAME_SECRET, PAYMENTS_SECRET, SCANNER_KEY, testServer } from '../ingest/ingest-fixture.js';

describe('createHttpSender', () => {
  const { app, delivery } = testServer();
  let url: string;
  beforeAll(async () => {
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => app.close());

  it('signs Standard Webhooks, hub signatures and API keys the way each source expects', async () => {
    const payments = createHttpSender({ url, source: 'payments', secret: PAYMENTS_SECRET });
    const game = createHttpSender({ url, source: 'game', hubSecret: GAME_SECRET });
    const scanners = createHttpSender({ url, source: 'scanners', apiKey: SCANNER_KEY });
    await expect(
      payments.send({ type: 'payment.succeeded', data: { teamId: 't', amount: 1 }, time: new Date() }),
    ).resolves.toMatchObject({ status: 202 });
    await expect(game.send({ type: 'answer.submitted', data: { teamId: 't', answer: 'x' } })).resolves.toMatchObject({
      status: 202,
    });
    const batch = await scanners.sendBatch([
      { type: 'checkpoint.scanned', data: { teamId: 't', checkpoint: 'cp-1' } },
      { type: 'checkpoint.scanned', data: { teamId: 'u', checkpoint: 'cp-2' }, subject: 'gate' },
    ]);
    expect(batch).toMatchObject({ status: 202, body: { accepted: 2 } });
    expect(delivery.sent.at(-1)).toMatchObject({ source: 'scanners', subject: 'gate' });
  });

  it('reports a refusal as HttpSendError with the problem', async () => {
    const sender = createHttpSender({ url, source: 'scanners', apiKey: 'wrong' });
    const error = await sender.send({ type: 'checkpoint.scanned', data: {} }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(HttpSendError);
    expect(error).toMatchObject({ status: 401, retryable: false, body: { code: 'BAD_API_KEY' } });
  });

  it('retries a 503 after Retry-After, keeping the webhook-id', async () => {
    delivery.unavailable = true;
    const sender = createHttpSender({
      url,
      source: 'payments',
      secret: PAYMENTS_SECRET,
      maxRetryAfterSeconds: 0.05,
      maxAttempts: 3,
    });
    const pending = sender.send({ type: 'payment.succeeded', id: 'retry-me', data: { teamId: 't', amount: 1 } });
    setTimeout(() => (delivery.unavailable = false), 20);
    await expect(pending).resolves.toMatchObject({ status: 202, duplicate: false });
    expect(delivery.sent.filter((e) => e.id === 'retry-me')).toHaveLength(1);
  });
});
