/**
 * A TypeScript connector of the reference configuration: mails a finishing team its certificate over SMTP with
 * Nodemailer. The engine runs `run` as the `certificates` connector's activity, so retries, the timeout, dead
 * letters and `onFailure` are the configuration's; this file only says how to talk to the mail server and which of
 * its answers are worth another attempt. The idempotency key becomes the message's `Message-ID` and an
 * `X-Idempotency-Key` header, so a mail server (or the sandbox) can tell a retried send from a new one.
 */
import nodemailer from 'nodemailer';
import { z } from 'zod';
import { defineConnector, nonRetryable, retryable, retryAfter } from 'treasure-hunt-engine/connector';

/** `connectors.certificates.settings`, resolved on the worker. */
const settingsSchema = z.object({
  smtpUrl: z.string().regex(/^smtps?:\/\//, 'an smtp:// or smtps:// URL'),
  from: z.string().min(1),
});

/** Connection-level failures: the server was unreachable or dropped us; another attempt may get through. */
const TRANSIENT_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'ECONNREFUSED', 'ECONNRESET', 'EDNS']);

export const certificateMailer = defineConnector({
  name: 'certificates',
  description: 'Mails a finishing team its certificate (SMTP).',
  input: z.object({
    to: z.email(),
    team: z.string().min(1),
    hunt: z.string().min(1),
    bonus: z.number().optional(),
    finishedAt: z.string().optional(),
  }),
  async run(input, { idempotencyKey, settings, signal, log }) {
    const parsedSettings = settingsSchema.safeParse(settings);
    if (!parsedSettings.success)
      throw nonRetryable(`certificate settings: ${z.prettifyError(parsedSettings.error)}`, { type: 'SettingsInvalid' });
    const { smtpUrl, from } = parsedSettings.data;
    const transport = nodemailer.createTransport(smtpUrl);
    // Nodemailer takes no AbortSignal: closing the transport ends a send the engine gave up on.
    const abort = () => transport.close();
    signal.addEventListener('abort', abort, { once: true });
    try {
      const info = await transport.sendMail({
        from,
        to: input.to,
        subject: `Certificate: ${input.team} finished ${input.hunt}`,
        text: [
          `Congratulations, ${input.team}!`,
          '',
          `You found every checkpoint of ${input.hunt}${input.finishedAt ? ` (finished ${input.finishedAt})` : ''}.`,
          ...(input.bonus ? [`Bonus points: ${input.bonus}.`] : []),
        ].join('\n'),
        messageId: `<${idempotencyKey.replace(/[^\w.-]/g, '.')}@certificates.treasure-hunt>`,
        headers: { 'X-Idempotency-Key': idempotencyKey },
      });
      log.info('certificate mailed', { to: input.to, messageId: info.messageId });
      return { messageId: info.messageId, accepted: info.accepted.map(String), response: info.response };
    } catch (err) {
      throw classify(err);
    } finally {
      signal.removeEventListener('abort', abort);
      transport.close();
    }
  },
});

/** SMTP's own classes: 4xx replies are temporary, 5xx permanent; connection errors are retried. */
function classify(err: unknown): Error {
  const { responseCode, code, message } = err as { responseCode?: number; code?: string; message?: string };
  const text = message ?? String(err);
  if (responseCode === 421) return retryAfter(30_000, `mail server closing: ${text}`, { type: 'SmtpUnavailable' });
  if (responseCode !== undefined && responseCode >= 400 && responseCode < 500)
    return retryable(`mail server deferred the certificate (${responseCode}): ${text}`, { type: 'SmtpDeferred' });
  if (responseCode !== undefined && responseCode >= 500)
    return nonRetryable(`mail server refused the certificate (${responseCode}): ${text}`, { type: 'SmtpRejected' });
  if (code !== undefined && TRANSIENT_CODES.has(code)) return retryable(`cannot reach the mail server: ${text}`);
  return nonRetryable(`certificate not sent: ${text}`, { type: 'SmtpRejected' });
}
