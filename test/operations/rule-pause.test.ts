/**
 * `hunt rules pause|resume` against the real server: a paused rule does not fire on events that arrive
 * meanwhile (they still fold into state), its pending timer is dropped and not re-armed, a new entity started
 * during the pause learns it at its start, `hunt explain` says the rule is paused, and after resume it fires again.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileConfigText } from '../../src/config/index.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { stateQuery, timersQuery, tracesQuery } from '../../src/contract/messages.js';
import { listPauses } from '../../src/operations/pauses.js';
import type { EngineEvent } from '../../src/rules/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server.js';
import { eventually } from '../reliability/harness/eventually.js';
import { startTestEngine, temporalAddress, type TestEngine } from '../helpers/temporal.js';

const run = promisify(execFile);
const TYPE = `club${randomUUID().slice(0, 8)}`;
const GREET = `greet-${randomUUID().slice(0, 6)}`;
const NUDGE = `nudge-${randomUUID().slice(0, 6)}`;
const CONFIG = `
name: rule-pause-test
entities:
  ${TYPE}: { key: data.teamId, initial: { payments: 0 } }
sources:
  test: { auth: none }
events:
  paid: { source: test, entity: ${TYPE}, reduce: [ { increment: { payments: 1 } } ] }
  scanned: { source: test, entity: ${TYPE} }
connectors:
  mailer: { http: { url: '{{ env.MAILER_URL }}' } }
rules:
  - id: ${GREET}
    on: paid
    then: [ { call: mailer, body: { rule: greet, team: '{{ entity.key }}', event: '{{ event.id }}' } } ]
  - id: ${NUDGE}
    on: scanned
    unless: { event: scanned, window: 10m }
    then: [ { call: mailer, body: { rule: nudge, team: '{{ entity.key }}' } } ]
`;

function compile(): CompiledConfig {
  const result = compileConfigText(CONFIG, 'rule-pause-test.yaml');
  if (!result.ok) throw new Error(JSON.stringify(result.problems, null, 2));
  return result.config;
}

const ev = (type: string, id: string, teamId: string): EngineEvent => ({
  id,
  source: 'test',
  type,
  specversion: '1.0',
  data: { teamId },
});

let sandbox: Sandbox;
let engine: TestEngine;
const configFile = `${process.cwd()}/test/operations/.rule-pause-${TYPE}.yaml`;
const env = () => ({
  ...process.env,
  TEMPORAL_ADDRESS: temporalAddress(),
  TEMPORAL_NAMESPACE: 'default',
  HUNT_TASK_QUEUE: engine.taskQueue,
  HUNT_CONFIG: configFile,
});
const hunt = (...args: string[]) => run(process.execPath, ['bin/hunt.js', ...args], { env: env() });
const mails = (rule: string) =>
  sandbox
    .requests()
    .filter((r) => r.system === 'mailer')
    .map((r) => JSON.parse(r.body) as { rule: string; team: string; event?: string })
    .filter((b) => b.rule === rule);

beforeAll(async () => {
  await writeFile(configFile, CONFIG);
  sandbox = await startSandbox({ systems: ['mailer'] });
  engine = await startTestEngine(compile(), { env: { MAILER_URL: sandbox.url('mailer') } });
}, 60_000);
afterAll(async () => {
  await engine?.stop();
  await sandbox?.close();
  await rm(configFile, { force: true });
});

describe('rule pause', () => {
  it('a paused rule neither fires nor keeps its timer; explain says so; resume lets it fire again', async () => {
    await engine.delivery.publish([ev('paid', 'p1', 't1'), ev('scanned', 's1', 't1')]);
    await eventually(
      async () => mails('greet').length,
      (n) => n === 1,
      { what: 'the first greeting' },
    );
    const t1 = engine.client.workflow.getHandle(`${TYPE}/t1`);
    expect((await t1.query(timersQuery)).map((t) => t.ruleId)).toEqual([NUDGE]);

    const bad = await hunt('rules', 'pause', 'no-such-rule').catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 1, stderr: expect.stringContaining('no rule "no-such-rule"') });
    expect((await hunt('rules', 'pause', GREET)).stdout).toContain(`rule ${GREET} paused`);
    expect((await hunt('rules', 'pause', NUDGE)).stdout).toContain(`rule ${NUDGE} paused`);
    // The running entity was told: the nudge timer is gone, and is not armed again.
    await eventually(
      async () => (await t1.query(timersQuery)).length,
      (n) => n === 0,
      { what: 'timer dropped' },
    );

    await engine.delivery.publish([ev('paid', 'p2', 't1'), ev('scanned', 's2', 't1')]);
    // A new entity started during the pause reads the pauses when it starts.
    await eventually(
      async () => (await listPauses(engine.client)).filter((p) => p.name === GREET || p.name === NUDGE).length,
      (n) => n === 2,
      { what: 'both pauses in visibility' },
    );
    await engine.delivery.publish([ev('paid', 'p3', 't2')]);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(mails('greet').map((m) => m.event)).toEqual(['p1']);
    expect(mails('nudge')).toEqual([]);
    // Events still fold into state.
    expect((await t1.query(stateQuery)).state).toMatchObject({ payments: 2 });
    expect((await t1.query(timersQuery)).length).toBe(0);
    const [trace] = await t1.query(tracesQuery, { eventId: 'p2' });
    expect(trace?.verdicts).toEqual([expect.objectContaining({ ruleId: GREET, fired: false, clause: 'paused' })]);
    const explained = await hunt('explain', `${TYPE}/t1`);
    expect(explained.stdout).toContain(`rule ${GREET} is paused`);
    expect(explained.stdout).toContain(`did not ${GREET} [paused]`);
    expect((await hunt('rules', 'list')).stdout).toContain(GREET);

    expect((await hunt('rules', 'resume', GREET)).stdout).toContain(`rule ${GREET} resumed`);
    await hunt('rules', 'resume', NUDGE);
    await engine.delivery.publish([ev('paid', 'p4', 't1'), ev('paid', 'p5', 't2')]);
    await eventually(
      async () =>
        mails('greet')
          .map((m) => m.event)
          .sort(),
      (events) => events.length === 3,
      { what: 'greetings after resume' },
    );
    expect(
      mails('greet')
        .map((m) => m.event)
        .sort(),
    ).toEqual(['p1', 'p4', 'p5']);
    expect((await hunt('rules', 'list')).stdout).not.toContain(GREET);
  }, 120_000);
});
