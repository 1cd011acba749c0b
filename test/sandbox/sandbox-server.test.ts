import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/sandbox-server.js';

const running: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function sandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const started = await startSandbox({ host: '127.0.0.1', ...options });
  running.push(started);
  return started;
}

function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

describe('sandbox partner systems', () => {
  it('answers each system like its partner and records every request', async () => {
    const box = await sandbox();
    const mail = await post(`${box.url('mailer')}/send?x=1`, { to: 'red' }, { authorization: 'Bearer t' });
    const payout = await post(box.url('payouts'), { amount: 5 });
    const board = await fetch(box.url('leaderboard'));
    expect([mail.status, payout.status, board.status]).toEqual([202, 201, 200]);
    expect(await mail.json()).toMatchObject({ accepted: true });
    expect(await payout.json()).toMatchObject({ status: 'paid' });

    const [first] = box.requests();
    expect(first).toMatchObject({
      seq: 1,
      system: 'mailer',
      method: 'POST',
      path: '/mailer/send?x=1',
      body: '{"to":"red"}',
      duplicate: false,
      outcome: 'ok',
      status: 202,
    });
    expect(first?.headers.authorization).toBe('Bearer t');
    expect(Number.isNaN(Date.parse(first?.time ?? ''))).toBe(false);

    const all = (await (await fetch(`http://127.0.0.1:${box.port}/_requests`)).json()) as unknown[];
    expect(all).toHaveLength(3);
    const payouts = (await (await fetch(`http://127.0.0.1:${box.port}/_requests?system=payouts`)).json()) as Array<{
      system: string;
    }>;
    expect(payouts.map((r) => r.system)).toEqual(['payouts']);
  });

  it('answers 404 for an unknown system, and records it', async () => {
    const box = await sandbox({ systems: ['mailer'] });
    const res = await post(box.url('payouts'), {});
    expect(res.status).toBe(404);
    expect(box.requests()[0]).toMatchObject({ system: 'payouts', outcome: 'not-found', status: 404 });
    expect(() => box.control('payouts', 'reset')).toThrow(/unknown sandbox system "payouts"/);
  });

  it('answers a repeated idempotency key with the first answer and marks it duplicate', async () => {
    const box = await sandbox();
    const a = await post(box.url('payouts'), { amount: 5 }, { 'Idempotency-Key': 'k1' });
    const b = await post(box.url('payouts'), { amount: 5 }, { 'Idempotency-Key': 'k1' });
    const c = await post(box.url('payouts'), { amount: 5 }, { 'Idempotency-Key': 'k2' });
    const bodies = [await a.text(), await b.text(), await c.text()];
    expect(bodies[1]).toBe(bodies[0]);
    expect(bodies[2]).not.toBe(bodies[0]);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect(box.requests().map((r) => [r.idempotencyKey, r.duplicate, r.outcome])).toEqual([
      ['k1', false, 'ok'],
      ['k1', true, 'duplicate'],
      ['k2', false, 'ok'],
    ]);
  });

  it('keeps idempotency keys per system and also reads webhook-id', async () => {
    const box = await sandbox();
    await post(box.url('mailer'), {}, { 'webhook-id': 'same' });
    await post(box.url('payouts'), {}, { 'webhook-id': 'same' });
    expect(box.requests().map((r) => r.duplicate)).toEqual([false, false]);
  });

  it('fails the first N requests with the given status and Retry-After, then recovers; failures are not replayed', async () => {
    const box = await sandbox();
    box.control('payouts', 'fail first 2 with status 429 retry-after 3');
    const statuses: number[] = [];
    const retryAfters: Array<string | null> = [];
    for (let i = 0; i < 3; i++) {
      const res = await post(box.url('payouts'), {}, { 'Idempotency-Key': 'k' });
      statuses.push(res.status);
      retryAfters.push(res.headers.get('retry-after'));
    }
    expect(statuses).toEqual([429, 429, 201]);
    expect(retryAfters).toEqual(['3', '3', null]);
    expect(box.requests().map((r) => r.outcome)).toEqual(['failed', 'failed', 'ok']);
  });

  it('fails first N with 503 by default', async () => {
    const box = await sandbox();
    box.control('mailer', { kind: 'failFirst', count: 1 });
    expect((await post(box.url('mailer'), {})).status).toBe(503);
    expect((await post(box.url('mailer'), {})).status).toBe(202);
  });

  it('fails every request with a status until reset', async () => {
    const box = await sandbox();
    box.control('mailer', 'fail with status 400');
    expect((await post(box.url('mailer'), {})).status).toBe(400);
    expect((await post(box.url('mailer'), {})).status).toBe(400);
    expect((await post(box.url('payouts'), {})).status).toBe(201);
    box.control('mailer', 'reset');
    expect((await post(box.url('mailer'), {})).status).toBe(202);
  });

  it('delays answers', async () => {
    const box = await sandbox();
    box.control('leaderboard', 'delay 300ms');
    const started = performance.now();
    const res = await post(box.url('leaderboard'), {});
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(box.requests()[0]).toMatchObject({ delayedMs: 300, outcome: 'ok' });
  });

  it('records a caller that hung up during a delay as abandoned', async () => {
    const box = await sandbox();
    box.control('mailer', 'delay 400ms');
    await expect(
      fetch(box.url('mailer'), { method: 'POST', body: '{}', signal: AbortSignal.timeout(100) }),
    ).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(box.requests()[0]).toMatchObject({ outcome: 'abandoned' });
  });

  it('closes connections without an answer while down, then comes back', async () => {
    const box = await sandbox();
    box.control('payouts', 'down for 300ms');
    await expect(post(box.url('payouts'), {})).rejects.toThrow(/fetch failed/);
    expect((await post(box.url('mailer'), {})).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 320));
    expect((await post(box.url('payouts'), {})).status).toBe(201);
    expect(box.requests().map((r) => [r.system, r.outcome, r.status])).toEqual([
      ['payouts', 'down', undefined],
      ['mailer', 'ok', 202],
      ['payouts', 'ok', 201],
    ]);
  });

  it('takes commands over POST /_control, for one system or all, and rejects bad ones', async () => {
    const box = await sandbox();
    const control = `http://127.0.0.1:${box.port}/_control`;
    expect((await post(control, { system: 'mailer', behaviour: 'fail first 1 with status 500' })).status).toBe(200);
    expect((await post(box.url('mailer'), {})).status).toBe(500);
    expect((await post(control, { behaviour: { kind: 'failWith', status: 502 } })).status).toBe(200);
    expect((await post(box.url('mailer'), {})).status).toBe(502);
    expect((await post(box.url('leaderboard'), {})).status).toBe(502);
    expect((await post(control, { behaviour: 'reset' })).status).toBe(200);
    expect((await post(box.url('leaderboard'), {})).status).toBe(200);

    const bad = await post(control, { system: 'mailer', behaviour: 'explode' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('cannot understand');
    expect((await post(control, { system: 'nope', behaviour: 'reset' })).status).toBe(400);
  });

  it('appends every recorded request to the JSONL log file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sandbox-test-'));
    try {
      const logFile = join(dir, 'requests.jsonl');
      const box = await startSandbox({ host: '127.0.0.1', logFile });
      box.control('mailer', 'fail first 1');
      await post(box.url('mailer'), { n: 1 }, { 'Idempotency-Key': 'a' });
      await post(box.url('mailer'), { n: 1 }, { 'Idempotency-Key': 'a' });
      await post(box.url('mailer'), { n: 1 }, { 'Idempotency-Key': 'a' });
      await box.close();
      const lines = (await readFile(logFile, 'utf8')).trim().split('\n');
      const records = lines.map((line) => JSON.parse(line) as { outcome: string; body: string; seq: number });
      expect(records.map((r) => r.outcome)).toEqual(['failed', 'ok', 'duplicate']);
      expect(records.map((r) => r.seq)).toEqual([1, 2, 3]);
      expect(records[0]?.body).toBe('{"n":1}');
      expect(records).toEqual(box.requests());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('calls onRequest for each recorded request', async () => {
    const seen: string[] = [];
    const box = await sandbox({ onRequest: (r) => seen.push(`${r.system}:${r.outcome}`) });
    await post(box.url('mailer'), {});
    expect(seen).toEqual(['mailer:ok']);
  });
});
