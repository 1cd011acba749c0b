import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDeadLetters, listDeadLetters, redrive } from '../../src/cli/connector-commands.js';
import { compileConfigText } from '../../src/config/index.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server.js';
import { startTestEngine, temporalAddress, uniqueName, type TestEngine } from '../helpers/temporal.js';

const run = promisify(execFile);

/** Runs the real \`hunt\` CLI against the shared test server. */
async function hunt(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return huntWith({}, ...args);
}

async function huntWith(
  extraEnv: Record<string, string>,
  ...args: string[]
): Promise<{ stdout: string; stderr: string; code: number }> {
  const env = { ...process.env, TEMPORAL_ADDRESS: temporalAddress(), TEMPORAL_NAMESPACE: 'default', ...extraEnv };
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/hunt.js', ...args], { env });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const failed = err as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}

const CONFIG = `
name: dead-letter-test
entities:
  team: { key: data.teamId, initial: { paid: false } }
sources:
  payments: { auth: none }
events:
  payment.succeeded:
    source: payments
    entity: team
    reduce: [ { set: { paid: true } } ]
connectors:
  payouts:
    http: { url: '{{ env.PAYOUTS_URL }}' }
    timeout: 2s
    retry: { initialInterval: 100ms, maximumAttempts: 2 }
rules:
  - id: pay-team
    on: payment.succeeded
    then: [ { call: payouts, body: { team: '{{ entity.key }}' } } ]
`;

function compile(): CompiledConfig {
  const result = compileConfigText(CONFIG, 'dead-letter-test.yaml');
  if (!result.ok) throw new Error(JSON.stringify(result.problems, null, 2));
  return result.config;
}

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('hunt dead-letters and hunt redrive against a running engine', () => {
  let sandbox: Sandbox;
  let engine: TestEngine;

  beforeAll(async () => {
    sandbox = await startSandbox({ host: '127.0.0.1' });
    engine = await startTestEngine(compile(), { env: { PAYOUTS_URL: sandbox.url('payouts') } });
  });

  afterAll(async () => {
    await engine?.stop();
    await sandbox?.close();
  });

  it('lists a call that failed for good, and redrives it with the same idempotency key', async () => {
    const team = uniqueName('team');
    sandbox.control('payouts', 'fail with status 400');
    await engine.delivery.publish([
      {
        id: uniqueName('evt'),
        source: 'payments',
        type: 'payment.succeeded',
        specversion: '1.0',
        data: { teamId: team },
      },
    ]);

    const rows = await eventually(
      () => listDeadLetters(engine.client, `team/${team}`),
      (r) => r.length > 0,
    );
    expect(rows).toHaveLength(1);
    const letter = rows[0]!.letter;
    expect(letter).toMatchObject({ ruleId: 'pay-team', connector: 'payouts' });
    expect(letter.lastFailure).toContain('400');
    expect(formatDeadLetters(rows)).toContain(letter.id);

    // Across entities, through the HuntDeadLetters search attribute (visibility is eventually consistent).
    const all = await eventually(
      () => listDeadLetters(engine.client, undefined, engine.taskQueue),
      (r) => r.some((row) => row.entity === `team/${team}`),
    );
    expect(all.some((row) => row.entity === `team/${team}` && row.letter.id === letter.id)).toBe(true);

    const listed = await hunt('dead-letters', '--entity', `team/${team}`, '--json');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([{ entity: `team/${team}`, letter }]);

    // Without --entity: the entities of the configured task queue (HUNT_TASK_QUEUE), not other engines' ones.
    const ownQueue = await huntWith({ HUNT_TASK_QUEUE: engine.taskQueue }, 'dead-letters', '--json');
    expect(ownQueue.code).toBe(0);
    expect(JSON.parse(ownQueue.stdout)).toEqual([{ entity: `team/${team}`, letter }]);
    const otherQueue = await huntWith({ HUNT_TASK_QUEUE: uniqueName('no-such-queue') }, 'dead-letters', '--json');
    expect(otherQueue.code).toBe(0);
    expect(JSON.parse(otherQueue.stdout)).toEqual([]);

    // Still failing: the redrive reports the failure and the letter stays open.
    expect(await redrive(engine.client, `team/${team}`, letter.id)).toMatchObject({ ok: false });

    const again = await hunt('redrive', `team/${team}`, letter.id);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('the call failed again');

    sandbox.control('payouts', 'reset');
    const redriven = await hunt('redrive', `team/${team}`, letter.id);
    expect(redriven).toMatchObject({ code: 0, stdout: `team/${team} ${letter.id}: redriven, the call succeeded\n` });
    const after = await listDeadLetters(engine.client, `team/${team}`);
    expect(after[0]?.letter.redriven).toBeTypeOf('number');

    const calls = sandbox.requests().filter((r) => r.system === 'payouts' && r.body.includes(team));
    expect(calls.map((r) => r.outcome)).toEqual(['failed', 'failed', 'failed', 'ok']);
    expect(new Set(calls.map((r) => r.idempotencyKey)).size).toBe(1);
  });

  it('names the problem when the dead letter or the entity does not exist', async () => {
    await expect(redrive(engine.client, 'team/nobody-here', 'dl-1')).rejects.toThrow(/no running entity workflow/);
    const bad = await hunt('redrive', 'nobody', 'dl-1');
    expect(bad).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('does not name an entity: write <entityType>/<key>'),
    });
  });
});
