/**
 * The sandbox's mail server, a real SMTP server on 127.0.0.1: mails sent with Nodemailer are recorded beside the
 * HTTP partners' requests (system `smtp`), answer a repeated idempotency key as a duplicate, and follow the
 * sandbox's behaviours as SMTP replies (a retryable failure as 451, a permanent one as 550).
 */
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server.js';

const running: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function send(box: Sandbox, key: string) {
  const transport = nodemailer.createTransport(box.smtpUrl);
  try {
    return await transport.sendMail({
      from: 'hunt@city.example',
      to: 'captain@red-foxes.example',
      subject: 'Certificate',
      text: 'Well done, red-foxes',
      headers: { 'X-Idempotency-Key': key },
    });
  } finally {
    transport.close();
  }
}

describe('sandbox mail server', () => {
  it('records each mail like a request, and a repeated idempotency key as a duplicate', async () => {
    const seen: string[] = [];
    const box = await startSandbox({ host: '127.0.0.1', onRequest: (r) => seen.push(r.system) });
    running.push(box);
    expect(box.smtpUrl).toMatch(/^smtp:\/\/127\.0\.0\.1:\d+$/);
    await fetch(box.url('mailer'), { method: 'POST', body: '{}' });
    const first = await send(box, 'key-1');
    const again = await send(box, 'key-1');
    expect(first.response).toContain('queued as mail-');
    expect(again.response).toBe(first.response);
    const mails = box.requests().filter((r) => r.system === 'smtp');
    expect(mails).toHaveLength(2);
    expect(mails[0]).toMatchObject({
      method: 'SMTP',
      path: 'MAIL TO:<captain@red-foxes.example>',
      idempotencyKey: 'key-1',
      outcome: 'ok',
      status: 250,
      duplicate: false,
      headers: { from: 'hunt@city.example', subject: 'Certificate' },
    });
    expect(mails[0]?.body).toContain('Well done, red-foxes');
    expect(mails[1]).toMatchObject({ outcome: 'duplicate', duplicate: true });
    // The live view (onRequest) sees mails in order with the HTTP requests.
    expect(seen).toEqual(['mailer', 'smtp', 'smtp']);
  });

  it('fails on command: temporary (451) for a retryable status, permanent (550) otherwise', async () => {
    const box = await startSandbox({ host: '127.0.0.1', smtpPort: 0 });
    running.push(box);
    box.control('smtp', 'fail first 1');
    await expect(send(box, 'k-a')).rejects.toMatchObject({ responseCode: 451 });
    await expect(send(box, 'k-a')).resolves.toMatchObject({ response: expect.stringContaining('queued') });
    box.control('smtp', 'fail with status 400');
    await expect(send(box, 'k-b')).rejects.toMatchObject({ responseCode: 550 });
    expect(box.requests().map((r) => r.outcome)).toEqual(['failed', 'ok', 'failed']);
  });

  it('can run without a mail server', async () => {
    const box = await startSandbox({ host: '127.0.0.1', smtpPort: false });
    running.push(box);
    expect(box.smtpUrl).toBeUndefined();
    expect(() => box.control('smtp', 'reset')).toThrow(/unknown sandbox system "smtp"/);
  });
});
