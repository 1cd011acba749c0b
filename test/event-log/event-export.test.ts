/**
 * The event log export against the real server: after a continue-as-new, what comes back equals what was
 * sent (ids, order per entity), re-deliveries once, filters applied; the same over the CLI and HTTP.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateEntity } from '../../src/client/migrate-entity.js';
import { compileConfigText } from '../../src/config/index.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { exportEvents, type ExportedEvent } from '../../src/event-log/event-export.js';
import { eventFiltersSchema } from '../../src/event-log/event-filters.js';
import { buildIngestServer } from '../../src/ingest/ingest-server.js';
import type { EngineEvent } from '../../src/rules/types.js';
import { stateQuery } from '../../src/contract/messages.js';
import { eventually } from '../reliability/harness/eventually.js';
import { startTestEngine, temporalAddress, type TestEngine } from '../helpers/temporal.js';

const run = promisify(execFile);
/** An entity type of this file's own, so the export by type sees only these entities on the shared server. */
const TYPE = `crate${randomUUID().slice(0, 8)}`;

const CONFIG = `
name: export-test
entities:
  ${TYPE}: { key: data.id, initial: { n: 0 } }
sources:
  scanner: { auth: none }
  game: { auth: none }
events:
  item.scanned: { source: scanner, entity: ${TYPE}, reduce: [ { increment: { n: 1 } } ] }
  item.noted: { source: game, entity: ${TYPE} }
`;

function compile(): CompiledConfig {
  const result = compileConfigText(CONFIG, 'export-test.yaml');
  if (!result.ok) throw new Error(JSON.stringify(result.problems, null, 2));
  return result.config;
}

const scanned = (key: string, n: number): EngineEvent => ({
  id: `${key}-s${n}`,
  source: 'scanner',
  type: 'item.scanned',
  specversion: '1.0',
  time: '2026-05-01T10:00:00Z',
  data: { id: key, n },
});
const noted = (key: string, n: number): EngineEvent => ({
  id: `${key}-n${n}`,
  source: 'game',
  type: 'item.noted',
  specversion: '1.0',
  data: { id: key },
});

let engine: TestEngine;
const sent = new Map<string, EngineEvent[]>();

async function collect(filters: Record<string, string>): Promise<ExportedEvent[]> {
  const out: ExportedEvent[] = [];
  for await (const e of exportEvents(engine.client, eventFiltersSchema.parse(filters))) out.push(e);
  return out;
}

const byEntity = (events: Array<{ id: string; data: unknown }>) => {
  const out = new Map<string, string[]>();
  for (const e of events) {
    const key = (e.data as { id: string }).id;
    out.set(key, [...(out.get(key) ?? []), e.id]);
  }
  return out;
};

beforeAll(async () => {
  engine = await startTestEngine(compile());
  // Entity a: 30 events, a continue-as-new (migrate), 20 more by update, and re-deliveries across the boundary.
  const a = ['a', [] as EngineEvent[]] as const;
  for (let i = 0; i < 30; i++) a[1].push(i % 3 === 0 ? noted('a', i) : scanned('a', i));
  await engine.delivery.send(a[1].slice(0, 15));
  await engine.delivery.send(a[1].slice(15));
  const handle = engine.client.workflow.getHandle(`${TYPE}/a`);
  await eventually(
    () => handle.query(stateQuery),
    (v) => v.eventCount === 30,
  );
  const firstRun = (await handle.describe()).runId;
  await migrateEntity(handle);
  await eventually(
    async () => (await handle.describe()).runId,
    (runId) => runId !== firstRun,
    { what: 'a continue-as-new' },
  );
  const later = Array.from({ length: 20 }, (_, i) => scanned('a', 30 + i));
  await engine.delivery.publish(later.slice(0, 10));
  await engine.delivery.send([a[1][2]!, a[1][3]!, ...later.slice(10)]);
  sent.set('a', [...a[1], ...later]);
  // Entity b: 10 events in one run.
  const b = Array.from({ length: 10 }, (_, i) => scanned('b', i));
  await engine.delivery.send(b);
  sent.set('b', b);
  await eventually(
    async () => (await handle.query(stateQuery)).eventCount,
    (n) => n === 50,
  );
  await eventually(
    async () => (await engine.client.workflow.getHandle(`${TYPE}/b`).query(stateQuery)).eventCount,
    (n) => n === 10,
  );
  // The entities must be visible to the list query before the export can find them.
  await eventually(
    async () => (await engine.client.workflow.count(`HuntEntityType = "${TYPE}"`)).count,
    (n) => n >= 3,
  );
}, 120_000);
afterAll(async () => {
  await engine?.stop();
});

describe('exportEvents', () => {
  it('after a continue-as-new equals what was sent: ids, order per entity, each event once', async () => {
    const runs = [];
    for await (const wf of engine.client.workflow.list({ query: `WorkflowId = "${TYPE}/a"` })) runs.push(wf.runId);
    expect(runs.length).toBe(2);
    const exported = await collect({ entityType: TYPE });
    const got = byEntity(exported);
    expect(got.get('a')).toEqual(sent.get('a')!.map((e) => e.id));
    expect(got.get('b')).toEqual(sent.get('b')!.map((e) => e.id));
    expect(exported).toHaveLength(60);
    // The envelope comes back as delivered, with the engine time it arrived.
    const first = exported.find((e) => e.id === 'a-s1')!;
    expect(first).toMatchObject({ source: 'scanner', type: 'item.scanned', time: '2026-05-01T10:00:00Z' });
    expect(Number.isFinite(Date.parse(first.at))).toBe(true);
  });

  it('filters by entity, event type, source and time', async () => {
    expect((await collect({ entity: `${TYPE}/b` })).map((e) => e.id)).toEqual(sent.get('b')!.map((e) => e.id));
    const notes = await collect({ entityType: TYPE, eventType: 'item.noted' });
    expect(notes.map((e) => e.id)).toEqual(
      sent
        .get('a')!
        .filter((e) => e.type === 'item.noted')
        .map((e) => e.id),
    );
    expect(await collect({ entityType: TYPE, source: 'game' })).toEqual(notes);
    expect(await collect({ entityType: TYPE, since: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
    expect(await collect({ entityType: TYPE, until: '2000-01-01T00:00:00Z' })).toEqual([]);
    expect(await collect({ entityType: TYPE, since: '1h' })).toHaveLength(60);
    expect(await collect({ until: '2000-01-01T00:00:00Z' })).toEqual([]);
    // Up to the arrival of a's 40th event (published after the continue-as-new): a's first 40 across both runs.
    const all = await collect({ entityType: TYPE });
    const cut = all.find((e) => e.id === sent.get('a')![39]!.id)!;
    const early = await collect({ entityType: TYPE, until: cut.at });
    expect(early.map((e) => e.id)).toEqual(all.filter((e) => e.at <= cut.at).map((e) => e.id));
    expect(byEntity(early).get('a')).toEqual(
      sent
        .get('a')!
        .slice(0, 40)
        .map((e) => e.id),
    );
  });

  it('is the same through `hunt events export` and GET /events/export (behind the admin token)', async () => {
    const env = { ...process.env, TEMPORAL_ADDRESS: temporalAddress(), TEMPORAL_NAMESPACE: 'default' };
    const cli = await run(process.execPath, ['bin/hunt.js', 'events', 'export', '--type', TYPE], { env });
    const fromCli = cli.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as ExportedEvent);
    expect(fromCli).toEqual(await collect({ entityType: TYPE }));
    expect(cli.stderr).toMatch(/exported 60 events from 2 entities \(2 re-deliveries dropped\)/);

    const bad = await run(process.execPath, ['bin/hunt.js', 'events', 'export', '--since', 'yesterday'], {
      env,
    }).catch((err: { stderr: string; code: number }) => err);
    expect(bad).toMatchObject({ code: 1, stderr: expect.stringMatching(/since: "yesterday" is not a time/) });

    const app = buildIngestServer({
      config: compile(),
      delivery: engine.delivery,
      client: engine.client,
      logger: pino({ level: 'silent' }),
      env: {},
      adminApiKey: 'admin-token-0123456789',
    });
    try {
      const refused = await app.inject(`/events/export?entityType=${TYPE}`);
      expect(refused.statusCode).toBe(401);
      const auth = { authorization: 'Bearer admin-token-0123456789' };
      const res = await app.inject({ url: `/events/export?entityType=${TYPE}&eventType=item.noted`, headers: auth });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
      const lines = res.body
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as ExportedEvent);
      expect(lines).toEqual(await collect({ entityType: TYPE, eventType: 'item.noted' }));
      const badFilter = await app.inject({ url: '/events/export?since=soon', headers: auth });
      expect(badFilter.statusCode).toBe(400);
      expect(badFilter.json()).toMatchObject({ code: 'BAD_FILTER' });
    } finally {
      await app.close();
    }
  }, 60_000);
});
