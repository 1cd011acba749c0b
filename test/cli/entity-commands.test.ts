/** `hunt explain` and `hunt migrate` against the shared dev server, run as the installed CLI would be. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileConfigText } from '../../src/config/index.js';
import type { EngineEvent } from '../../src/rules/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server.js';
import { timingConfigYaml } from '../fixtures/timing-config.js';
import { stateQuery } from '../../src/contract/messages.js';
import { startTestEngine, temporalAddress, uniqueName, type TestEngine } from '../helpers/temporal.js';

const run = promisify(execFile);
let engine: TestEngine;
let sandbox: Sandbox;

async function hunt(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/hunt.js', ...args], {
      env: { ...process.env, TEMPORAL_ADDRESS: temporalAddress(), TEMPORAL_NAMESPACE: 'default' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  const compiled = compileConfigText(timingConfigYaml, 'timing.yaml');
  if (!compiled.ok) throw new Error('config');
  sandbox = await startSandbox({ systems: ['mailer'] });
  engine = await startTestEngine(compiled.config, { env: { MAILER_URL: sandbox.url('mailer') } });
});
afterAll(async () => {
  await engine?.stop();
  await sandbox?.close();
});

const scan = (team: string, cp: string): EngineEvent => ({
  id: `${team}-${cp}`,
  source: 'test',
  type: 'scanned',
  specversion: '1.0',
  data: { teamId: team, checkpoint: cp },
});

describe('hunt explain', () => {
  it('says for one event which rules fired and, for the others, which clause stopped them', async () => {
    const team = uniqueName('t');
    await engine.delivery.publish([scan(team, 'cp-1')]);
    const out = await hunt('explain', `team/${team}`, '--event', `${team}-cp-1`);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`team/${team}`);
    expect(out.stdout).toMatch(/did not finish \[if\]/);
    expect(out.stdout).toMatch(/did not nudge \[unless\] .*fires at/);
  }, 60_000);

  it('prints JSON with the traces and the fired actions', async () => {
    const team = uniqueName('t');
    await engine.delivery.publish(['cp-1', 'cp-2', 'cp-3'].map((cp) => scan(team, cp)));
    const out = await hunt('explain', `team/${team}`, '--json');
    const parsed = JSON.parse(out.stdout) as { traces: Array<{ cause?: string }>; firings: Array<{ ruleId: string }> };
    // One trace per event (the 1.5 s `unless` timer may have added one of its own by now).
    expect(parsed.traces.filter((t) => t.cause !== 'timer')).toHaveLength(3);
    expect(parsed.firings.map((f) => f.ruleId)).toContain('finish');
  }, 60_000);

  it('fails clearly for an entity that does not exist', async () => {
    const out = await hunt('explain', 'team/nobody-here');
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('no entity team/nobody-here');
  }, 60_000);
});

describe('hunt migrate', () => {
  it('moves a running entity to the current config version', async () => {
    const team = uniqueName('t');
    await engine.delivery.publish([scan(team, 'cp-1')]);
    const out = await hunt('migrate', `team/${team}`);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`team/${team}: ${engine.configStore.current.version} → current`);
  }, 60_000);

  it('refuses a version the deployment does not have, exits 1, and leaves the entity running as it was', async () => {
    const team = uniqueName('t');
    await engine.delivery.publish([scan(team, 'cp-1')]);
    const handle = engine.client.workflow.getHandle(`team/${team}`);
    const before = await handle.query(stateQuery);
    const out = await hunt('migrate', `team/${team}`, '--to', 'deadbeefdeadbeef');
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('Config version deadbeefdeadbeef is not known to this deployment');
    expect(out.stdout).not.toContain('→ deadbeefdeadbeef');
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await engine.delivery.publish([scan(team, 'cp-2')]);
    const after = await handle.query(stateQuery);
    expect(after.configVersion).toBe(before.configVersion);
    expect(after.eventCount).toBe(2);
  }, 60_000);
});

describe('hunt revive', () => {
  it('continues a terminated entity from its last state; refuses one that runs', async () => {
    const team = uniqueName('t');
    await engine.delivery.publish([scan(team, 'cp-1'), scan(team, 'cp-2')]);
    const handle = engine.client.workflow.getHandle(`team/${team}`);
    await handle.terminate('test: terminated by hand');
    const out = await hunt('revive', `team/${team}`);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(new RegExp(`team/${team}: revived \\(was terminated\\)`));
    const view = await handle.query(stateQuery);
    expect(view.eventCount).toBe(2);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    const again = await hunt('revive', `team/${team}`);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('is running; there is nothing to revive');
  }, 60_000);
});
