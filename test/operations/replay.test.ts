/**
 * `hunt replay` against the real server: a rule added after the events arrived is run over the recorded log
 * (current configuration, chosen rules only), fires once per qualifying entity with replay-marked keys, a
 * dry run calls nothing, a second replay calls nothing new downstream, and the entities' state is untouched.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileConfigText } from '../../src/config/index.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { stateQuery } from '../../src/contract/messages.js';
import { HuntOperation } from '../../src/contract/search-attributes.js';
import { buildIngestServer } from '../../src/ingest/ingest-server.js';
import { planReplay } from '../../src/operations/replay.js';
import type { EngineEvent } from '../../src/rules/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server.js';
import { eventually } from '../reliability/harness/eventually.js';
import { startTestEngine, temporalAddress, type TestEngine } from '../helpers/temporal.js';

const run = promisify(execFile);
const TYPE = `troop${randomUUID().slice(0, 8)}`;
const configYaml = (withReward: boolean) => `
name: replay-test
entities:
  ${TYPE}: { key: data.teamId, initial: { found: [] } }
sources:
  payments: { auth: none }
  scanners: { auth: none }
events:
  payment.succeeded: { source: payments, entity: ${TYPE} }
  checkpoint.scanned:
    source: scanners
    entity: ${TYPE}
    reduce: [ { append: { found: '{{ data.checkpoint }}' } } ]
connectors:
  mailer: { http: { url: '{{ env.MAILER_URL }}' } }
  payouts: { http: { url: '{{ env.PAYOUTS_URL }}' }, idempotencyHeader: Idempotency-Key }
rules:
  - id: welcome
    on: payment.succeeded
    then: [ { call: mailer, body: { team: '{{ entity.key }}' } } ]
${
  withReward
    ? `  - id: reward
    on: checkpoint.scanned
    if: 'size(state.found) == 2'
    then:
      - call: payouts
        body: { team: '{{ entity.key }}', found: '{{ state.found }}' }
      - set: { rewarded: true }
`
    : ''
}`;

function compile(text: string): CompiledConfig {
  const result = compileConfigText(text, 'replay-test.yaml');
  if (!result.ok) throw new Error(JSON.stringify(result.problems, null, 2));
  return result.config;
}

const ev = (type: string, source: string, id: string, data: Record<string, string>): EngineEvent => ({
  id,
  source,
  type,
  specversion: '1.0',
  data,
});

let sandbox: Sandbox;
let engine: TestEngine;
let newConfigPath: string;
const env = () => ({
  ...process.env,
  TEMPORAL_ADDRESS: temporalAddress(),
  TEMPORAL_NAMESPACE: 'default',
  HUNT_TASK_QUEUE: engine.taskQueue,
});
const payouts = () => sandbox.requests().filter((r) => r.system === 'payouts');

beforeAll(async () => {
  sandbox = await startSandbox({ systems: ['mailer', 'payouts'] });
  engine = await startTestEngine(compile(configYaml(false)), {
    env: { MAILER_URL: sandbox.url('mailer'), PAYOUTS_URL: sandbox.url('payouts') },
  });
  const dir = await mkdtemp(join(tmpdir(), 'hunt-replay-'));
  newConfigPath = join(dir, 'new.yaml');
  await writeFile(newConfigPath, configYaml(true));
  // t1 and t2 reach two checkpoints (the new rule's condition), t3 only pays.
  await engine.delivery.publish([
    ev('payment.succeeded', 'payments', 'p1', { teamId: 't1' }),
    ev('checkpoint.scanned', 'scanners', 's1a', { teamId: 't1', checkpoint: 'a' }),
    ev('checkpoint.scanned', 'scanners', 's1b', { teamId: 't1', checkpoint: 'b' }),
    ev('checkpoint.scanned', 'scanners', 's1c', { teamId: 't1', checkpoint: 'c' }),
    ev('payment.succeeded', 'payments', 'p2', { teamId: 't2' }),
    ev('checkpoint.scanned', 'scanners', 's2a', { teamId: 't2', checkpoint: 'a' }),
    ev('checkpoint.scanned', 'scanners', 's2b', { teamId: 't2', checkpoint: 'b' }),
    ev('payment.succeeded', 'payments', 'p3', { teamId: 't3' }),
  ]);
  await eventually(
    async () => sandbox.requests().filter((r) => r.system === 'mailer').length,
    (n) => n === 3,
    { what: 'three welcome mails' },
  );
}, 120_000);
afterAll(async () => {
  await engine?.stop();
  await sandbox?.close();
});

describe('hunt replay', () => {
  it('plans the new rule once per qualifying entity, over the whole log, with replay keys', async () => {
    const plan = await planReplay(engine.client, compile(configYaml(true)), { entityType: TYPE }, ['reward']);
    // Events with the same arrival time may come in either entity's order: compare sorted.
    const firings = [...plan.firings].sort((a, b) => a.entity.localeCompare(b.entity));
    expect(firings.map((f) => [f.entity, f.eventId, f.alreadyReplayed])).toEqual([
      [`${TYPE}/t1`, 's1b', false],
      [`${TYPE}/t2`, 's2b', false],
    ]);
    expect(firings[0]!.skipped).toEqual(['set']);
    expect(firings[0]!.actions.map((a) => a.idempotencyKey)).toEqual([`replay:${TYPE}/t1:s1b:reward:0`]);
    // Event filters choose the triggers; the state they see still comes from the whole log.
    const later = await planReplay(
      engine.client,
      compile(configYaml(true)),
      { entityType: TYPE, since: Date.now() + 60_000 },
      ['reward'],
    );
    expect(later.firings).toEqual([]);
    await expect(planReplay(engine.client, compile(configYaml(true)), {}, ['rewrd'])).rejects.toThrow(
      /no rule "rewrd".*its rules: welcome, reward/,
    );
  });

  it('a dry run prints what would be called and calls nothing', async () => {
    const { stdout } = await run(
      process.execPath,
      ['bin/hunt.js', 'replay', '--type', TYPE, '--rules', 'reward', '--config', newConfigPath, '--dry-run'],
      { env: env() },
    );
    expect(stdout).toContain(`${TYPE}/t1  reward  on checkpoint.scanned s1b`);
    expect(stdout).toContain(`${TYPE}/t2  reward  on checkpoint.scanned s2b`);
    expect(stdout).toContain('→ call payouts (not applied: set)');
    expect(stdout).toContain('2 to replay (2 actions in 2 entities)');
    expect(payouts()).toEqual([]);
  }, 60_000);

  it('replays once: a second replay calls nothing new, and no entity state changes', async () => {
    const before = await engine.client.workflow.getHandle(`${TYPE}/t1`).query(stateQuery);
    const args = ['bin/hunt.js', 'replay', '--type', TYPE, '--rules', 'reward', '--config', newConfigPath];
    const refused = await run(process.execPath, args, { env: env() }).catch(
      (err: { code: number; stderr: string }) => err,
    );
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining('pass --yes') });
    expect(payouts()).toEqual([]);

    const first = await run(process.execPath, [...args, '--yes'], { env: env() });
    expect(first.stdout).toBe('2 firings replayed (2 actions), 0 already replayed\n');
    expect(first.stderr).toContain('[2/2]');
    expect(
      payouts()
        .map((r) => r.idempotencyKey)
        .sort(),
    ).toEqual([`replay:${TYPE}/t1:s1b:reward:0`, `replay:${TYPE}/t2:s2b:reward:0`]);
    expect(JSON.parse(payouts().find((r) => r.idempotencyKey?.includes('/t1:'))!.body)).toEqual({
      team: 't1',
      found: ['a', 'b'],
    });

    const second = await run(process.execPath, [...args, '--yes'], { env: env() });
    expect(second.stdout).toBe('Nothing to replay.\n');
    expect(second.stderr).toContain('2 already replayed');
    expect(payouts()).toHaveLength(2);
    // Only the chosen rule ran: the welcome mails were not sent again.
    expect(sandbox.requests().filter((r) => r.system === 'mailer')).toHaveLength(3);
    // The entity's state and log are its own: nothing was folded, `set` not applied.
    const after = await engine.client.workflow.getHandle(`${TYPE}/t1`).query(stateQuery);
    expect(after).toEqual(before);
    expect(after.state).not.toHaveProperty('rewarded');
  }, 90_000);

  it('replays are searchable in visibility', async () => {
    const query = `${HuntOperation.name} = "replay" AND HuntEntityType = "${TYPE}"`;
    const listed = await eventually(
      async () => {
        const ids: string[] = [];
        for await (const w of engine.client.workflow.list({ query })) ids.push(w.workflowId);
        return ids.sort();
      },
      (ids) => ids.length === 2,
      { what: 'two replay workflows in visibility' },
    );
    expect(listed).toEqual([`hunt.replay/${TYPE}/t1:s1b:reward`, `hunt.replay/${TYPE}/t2:s2b:reward`]);
  });

  it('POST /events/replay plans for admins (dry run) and refuses bad requests', async () => {
    const app = buildIngestServer({
      config: compile(configYaml(true)),
      delivery: engine.delivery,
      client: engine.client,
      logger: pino({ level: 'silent' }),
      env: {},
      adminApiKey: 'admin-token-0123456789',
      taskQueue: engine.taskQueue,
    });
    try {
      const body = JSON.stringify({ entityType: TYPE, rules: ['reward'], dryRun: true });
      expect((await app.inject({ method: 'POST', url: '/events/replay', body })).statusCode).toBe(401);
      const headers = { authorization: 'Bearer admin-token-0123456789', 'content-type': 'application/json' };
      const dry = await app.inject({ method: 'POST', url: '/events/replay', body, headers });
      expect(dry.statusCode).toBe(200);
      expect(dry.json()).toMatchObject({ planned: 2, alreadyReplayed: 2, toReplay: 0 });
      const bad = await app.inject({
        method: 'POST',
        url: '/events/replay',
        body: JSON.stringify({ entityType: TYPE, rules: ['nope'] }),
        headers,
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().detail).toContain('no rule "nope"');
      const done = await app.inject({
        method: 'POST',
        url: '/events/replay',
        body: JSON.stringify({ entityType: TYPE, rules: ['reward'] }),
        headers,
      });
      expect(done.json()).toMatchObject({ planned: 0, started: 0 });
      expect(payouts()).toHaveLength(2);
    } finally {
      await app.close();
    }
  }, 60_000);
});
