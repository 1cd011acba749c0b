/**
 * `hunt diff --from-engine`: a config change backtested on the engine's event log equals the simulator over
 * the same events exported to a file, summarises per rule, exits 1, and calls no connector.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeExport } from '../../src/cli/events-commands.js';
import { diffEvents, diffFiles, diffFromEngine, readEventsFile } from '../../src/cli/simulate-commands.js';
import { compileConfigText } from '../../src/config/index.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { eventFiltersSchema } from '../../src/event-log/event-filters.js';
import type { EngineEvent } from '../../src/rules/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server.js';
import { stateQuery } from '../../src/contract/messages.js';
import { eventually } from '../reliability/harness/eventually.js';
import { startTestEngine, temporalAddress, type TestEngine } from '../helpers/temporal.js';

const run = promisify(execFile);
const TYPE = `squad${randomUUID().slice(0, 8)}`;

const configYaml = (finishAt: number, greeting: string) => `
name: backtest-test
entities:
  ${TYPE}: { key: data.teamId, initial: { found: [] } }
  board: { key: data.board, initial: { finished: 0 } }
sources:
  payments: { auth: none }
  scanners: { auth: none }
events:
  payment.succeeded: { source: payments, entity: ${TYPE} }
  checkpoint.scanned:
    source: scanners
    entity: ${TYPE}
    reduce: [ { append: { found: '{{ data.checkpoint }}' } } ]
  hunt.finished: { source: scanners, entity: board, reduce: [ { increment: { finished: 1 } } ] }
connectors:
  mailer: { http: { url: '{{ env.MAILER_URL }}', method: POST } }
rules:
  - id: welcome
    on: payment.succeeded
    then: [ { call: mailer, body: { greeting: ${greeting}, team: '{{ entity.key }}' } } ]
  - id: finish
    on: checkpoint.scanned
    if: 'size(state.found) == ${finishAt}'
    then:
      - call: mailer
        body: { finished: '{{ entity.key }}' }
      - emit: { type: hunt.finished, data: { board: b-${TYPE}, teamId: '{{ entity.key }}' } }
`;

function compile(text: string): CompiledConfig {
  const result = compileConfigText(text, 'backtest-test.yaml');
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
let dir: string;
const oldYaml = configYaml(3, 'hello');
const newYaml = configYaml(2, 'bonjour');

beforeAll(async () => {
  sandbox = await startSandbox({ systems: ['mailer'] });
  engine = await startTestEngine(compile(oldYaml), { env: { MAILER_URL: sandbox.url('mailer') } });
  dir = await mkdtemp(join(tmpdir(), 'hunt-backtest-'));
  await writeFile(join(dir, 'old.yaml'), oldYaml);
  await writeFile(join(dir, 'new.yaml'), newYaml);
  // Team t0 finds 3 checkpoints, t1 finds 2, t2 only pays: the new config finishes at 2.
  for (let t = 0; t < 3; t++) {
    const teamId = `t${t}`;
    const events = [ev('payment.succeeded', 'payments', `${teamId}-pay`, { teamId })];
    for (let c = 0; c < 3 - t; c++)
      events.push(ev('checkpoint.scanned', 'scanners', `${teamId}-c${c}`, { teamId, checkpoint: `cp${c}` }));
    await engine.delivery.publish(events);
  }
  // What the old config did: 3 welcomes and t0's finish, and the emitted event reached the board.
  await eventually(
    async () => sandbox.requests().length,
    (n) => n === 4,
  );
  await eventually(
    async () =>
      (
        await engine.client.workflow
          .getHandle(`board/b-${TYPE}`)
          .query(stateQuery)
          .catch(() => undefined)
      )?.state,
    (state) => state?.finished === 1,
  );
  await eventually(
    async () => (await engine.client.workflow.count(`HuntEntityType = "${TYPE}"`)).count,
    (n) => n === 3,
  );
}, 120_000);
afterAll(async () => {
  await engine?.stop();
  await sandbox?.close();
});

describe('hunt diff --from-engine', () => {
  it('matches the simulator over the same events exported to a file, with a per-rule summary; calls nothing', async () => {
    const callsBefore = sandbox.requests().length;
    const filters = eventFiltersSchema.parse({ entityType: TYPE });
    const backtest = await diffFromEngine(engine.client, join(dir, 'old.yaml'), join(dir, 'new.yaml'), filters);
    expect(backtest.events).toBe(9);

    const file = join(dir, 'export.jsonl');
    await writeExport(engine.client, filters, createWriteStream(file));
    const fromFile = await diffFiles(join(dir, 'old.yaml'), join(dir, 'new.yaml'), file);
    expect(backtest.rules).toEqual(fromFile.rules);
    expect(backtest.diffs).toEqual(fromFile.diffs);
    expect(backtest.text).toBe(fromFile.text);

    // Per rule: welcome changed for all three teams; finish moved from t0 (3 found) to t0 and t1 (2 found).
    expect(backtest.rules).toEqual([
      { ruleId: 'finish', added: 2, removed: 1, changed: 0, entities: 2 },
      { ruleId: 'welcome', added: 0, removed: 0, changed: 3, entities: 3 },
    ]);
    expect(backtest.diffs.map((d) => d.entity)).toEqual([`${TYPE}/t0`, `${TYPE}/t1`, `${TYPE}/t2`]);
    // The same as simulating the exported events by hand (read back from the file).
    const events = await readEventsFile(file);
    expect(diffEvents(compile(oldYaml), compile(newYaml), events).rules).toEqual(backtest.rules);
    expect(sandbox.requests().length).toBe(callsBefore);
  }, 60_000);

  it('leaves events the rules emitted to the simulator, and exits 1 when actions would change', async () => {
    const env = { ...process.env, TEMPORAL_ADDRESS: temporalAddress(), TEMPORAL_NAMESPACE: 'default' };
    const args = ['bin/hunt.js', 'diff', join(dir, 'old.yaml'), join(dir, 'new.yaml'), '--from-engine'];
    // The board's only event was emitted by `finish`: the backtest drops it and lets the simulator emit it.
    const board = await run(process.execPath, [...args, '--entity', `board/b-${TYPE}`], { env });
    expect(board.stderr).toContain('backtest over 0 events from the engine (1 emitted by rules left to the simulator)');
    expect(board.stdout).toContain('no rule fires differently');

    const changed = await run(process.execPath, [...args, '--type', TYPE], { env }).catch(
      (err: { code: number; stdout: string }) => err,
    );
    expect(changed).toMatchObject({ code: 1 });
    expect((changed as { stdout: string }).stdout).toMatch(/RULE\s+ADDED\s+REMOVED\s+CHANGED\s+ENTITIES/);
    const neither = await run(process.execPath, ['bin/hunt.js', 'diff', 'a.yaml', 'b.yaml'], { env }).catch(
      (err: { stderr: string }) => err,
    );
    expect(neither.stderr).toContain('--events <file> and/or --requests <file>, or from --from-engine');
  }, 60_000);
});
