/**
 * The "done when" as a newcomer would check it: `npm start` (src/main.ts on its embedded dev server)
 * with a configuration of native sources, and a Stripe, a GitHub, a Shopify, a Slack and a Svix webhook —
 * each signed by the vendor's own library or passed through the vendor's verifier first (webhook-signers.ts)
 * — posted over HTTP to the started engine: each reaches its entity and fires its rule.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../helpers/free-port.js';
import { uniqueName } from '../helpers/temporal.js';
import {
  WEBHOOK_ENV,
  examplePayload,
  githubRequest,
  shopifyRequest,
  slackRequest,
  stripeRequest,
  svixRequest,
  type NativeRequest,
} from './webhook-signers.js';

const CONFIG = path.resolve('test/ingest/fixtures/webhook-hunt.yaml');

function payloadFor<T>(name: string, team: string): T {
  return JSON.parse(JSON.stringify(examplePayload(name)).replaceAll('red-foxes', team)) as T;
}

let stateDir: string;
let base: string;
let stop: () => Promise<number | null>;
let output = '';

beforeAll(async () => {
  const temporal = inject('temporal');
  if ('error' in temporal) throw new Error(temporal.error);
  stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-webhooks-start-'));
  const ports = {
    TEMPORAL_DEV_PORT: await freePort(),
    TEMPORAL_DEV_UI_PORT: await freePort(),
    HUNT_PORT: await freePort(),
    HUNT_SANDBOX_PORT: await freePort(),
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      ...WEBHOOK_ENV,
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      TEMPORAL_CLI_PATH: temporal.cliPath,
      HUNT_STATE_DIR: stateDir,
      HUNT_CONFIG: CONFIG,
      HUNT_TASK_QUEUE: uniqueName('webhooks-start'),
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  stop = async () => {
    if (child.exitCode === null) child.kill('SIGINT');
    return exited;
  };
  base = `http://127.0.0.1:${ports.HUNT_PORT}`;
  const deadline = Date.now() + 120_000;
  while (!/Send an event:|Ingest API/i.test(output)) {
    if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`npm start did not come up:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}, 180_000);
afterAll(async () => {
  if (stop) expect(await stop()).toBe(0);
  await fs.rm(stateDir, { recursive: true, force: true });
});

async function post(request: NativeRequest): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}${request.url}?wait=true`, {
    method: 'POST',
    headers: request.headers,
    body: request.payload,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function state(key: string): Promise<Record<string, unknown> | undefined> {
  const res = await fetch(`${base}/entities/team/${key}`);
  return res.ok ? ((await res.json()) as { state: Record<string, unknown> }).state : undefined;
}

describe('native webhooks through npm start', () => {
  it('Stripe, GitHub, Shopify, Slack and Svix each reach their entity and fire their rule', async () => {
    const stripeTeam = uniqueName('team');
    const stripe = await post(
      stripeRequest({
        ...payloadFor<Record<string, unknown>>('stripe-payment_intent.succeeded', stripeTeam),
        id: uniqueName('evt'),
      }),
    );
    expect(stripe).toMatchObject({ status: 200, body: { status: 'accepted', fired: ['welcome-paid'] } });
    expect(await state(stripeTeam)).toMatchObject({ paid: true, welcomed: true });

    const repo = uniqueName('repo');
    const github = await post(await githubRequest('push', payloadFor('github-push', repo)));
    expect(github).toMatchObject({ status: 200, body: { status: 'accepted', fired: ['count-push'] } });
    expect(await state(repo)).toMatchObject({ pushes: 2 });

    const shopTeam = uniqueName('team');
    const shopify = await post(await shopifyRequest('orders/create', payloadFor('shopify-orders-create', shopTeam)));
    expect(shopify).toMatchObject({ status: 200, body: { status: 'accepted', fired: ['note-order'] } });
    expect(await state(shopTeam)).toMatchObject({ ordered: true });

    const channel = uniqueName('channel');
    const slack = await post(
      slackRequest({
        ...payloadFor<Record<string, unknown>>('slack-app_mention', channel),
        event_id: uniqueName('Ev'),
      }),
    );
    expect(slack.status).toBe(200);
    await expect.poll(async () => (await state(channel))?.hinted, { timeout: 20_000 }).toBe(true);

    const player = uniqueName('team');
    const svix = await post(svixRequest(payloadFor('clerk-user.created', player)));
    expect(svix).toMatchObject({ status: 200, body: { status: 'accepted', fired: ['greet-player'] } });
    expect((await state(player))?.players).toEqual(['user_29w83sxmDNGwOuEthce5gg56FcC']);

    // A forged Stripe request is refused before Temporal.
    const forged = stripeRequest({ ...payloadFor<Record<string, unknown>>('stripe-payment_intent.succeeded', 'x') });
    const refused = await post({ ...forged, payload: forged.payload.replace('"x"', '"y"') });
    expect(refused.status).toBe(401);
  }, 120_000);
});
