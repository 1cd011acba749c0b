/**
 * The reference configuration's TypeScript connector end to end: a team's finish reaches its hunt, the
 * `mail-certificate` rule calls `certificates`, and examples/treasure-hunt/connectors/certificate-mailer.ts mails
 * the certificate with Nodemailer to the sandbox's real SMTP server on 127.0.0.1 — retried through a temporary
 * refusal with the same idempotency key, and recorded once as accepted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCompiledConfig } from '../../src/config/index.js';
import { loadConnectorModules } from '../../src/config/connector-modules.js';
import { stateQuery } from '../../src/contract/messages.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server.js';
import { eventually } from '../reliability/harness/eventually.js';
import { startTestEngine, uniqueName, type TestEngine } from '../helpers/temporal.js';

const REFERENCE = 'examples/treasure-hunt/hunt.yaml';

let sandbox: Sandbox;
let engine: TestEngine;

beforeAll(async () => {
  sandbox = await startSandbox({ host: '127.0.0.1' });
  const config = await loadCompiledConfig(REFERENCE, { connectorModules: true });
  const { modules, problems } = await loadConnectorModules(config, REFERENCE);
  expect(problems).toEqual([]);
  engine = await startTestEngine(config, {
    taskQueue: uniqueName('certificates'),
    connectorModules: modules,
    env: {
      CERTIFICATE_SMTP_URL: sandbox.smtpUrl,
      MAILER_URL: sandbox.url('mailer'),
      MAILER_TOKEN: 'mailer-token',
      PAYOUTS_URL: sandbox.url('payouts'),
      PAYOUTS_ACCOUNT: 'acct',
      PAYOUTS_USER: 'user',
      PAYOUTS_PASSWORD: 'password',
      LEADERBOARD_URL: sandbox.url('leaderboard'),
      LEADERBOARD_SIGNING_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    },
  });
}, 60_000);

afterAll(async () => {
  await engine?.stop();
  await sandbox?.close();
});

describe('the certificate mailer (reference configuration)', () => {
  it('mails the finishing team its certificate over SMTP, once, through a temporary refusal', async () => {
    const hunt = uniqueName('spring');
    const team = uniqueName('red-foxes');
    sandbox.control('smtp', 'fail first 1');
    await engine.delivery.publish([
      {
        id: uniqueName('finish'),
        source: 'engine',
        type: 'team.finished',
        specversion: '1.0',
        time: new Date().toISOString(),
        data: { huntId: hunt, teamId: team, bonus: 20, email: `captain@${team}.example` },
      },
    ]);
    const mails = await eventually(
      async () => sandbox.requests().filter((r) => r.system === 'smtp' && r.path.includes(team)),
      (found) => found.some((m) => m.outcome === 'ok'),
      { what: 'the certificate at the SMTP server' },
    );
    expect(mails.map((m) => m.outcome)).toEqual(['failed', 'ok']);
    const [refused, mail] = mails;
    expect(mail).toMatchObject({
      path: `MAIL TO:<captain@${team}.example>`,
      headers: { from: 'certificates@city.example', subject: `Certificate: ${team} finished ${hunt}` },
    });
    expect(mail?.body).toContain(`Congratulations, ${team}!`);
    expect(mail?.body).toContain('Bonus points: 20.');
    // Both attempts carried the action's idempotency key, as Message-ID and header.
    expect(mail?.idempotencyKey).toBe(refused?.idempotencyKey);
    expect(mail?.idempotencyKey).toContain('mail-certificate');
    expect(mail?.headers['message-id']).toContain('@certificates.treasure-hunt');
    const view = await engine.client.workflow.getHandle(`hunt/${hunt}`).query(stateQuery);
    expect(view.state.finishers).toEqual([team]);
  }, 90_000);
});
