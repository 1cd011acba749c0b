/**
 * Export throughput and memory: 100,000 events over 100 entities (1,000 each, 100 per signal, as ingest
 * coalescing sends them), then `exportEvents` streamed into a byte counter. Prints events/s and the peak
 * heap and RSS growth over the process before the export. Entities are loaded without a worker: the export
 * reads deliveries from history whether or not a worker handled them (a handled history adds a few
 * workflow-task events per signal, which the reader skips).
 */
import { Writable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { EntityDelivery } from '../../src/client/delivery.js';
import { writeExport } from '../../src/cli/events-commands.js';
import { compileConfigText } from '../../src/config/index.js';
import { eventFiltersSchema } from '../../src/event-log/event-filters.js';
import type { EngineEvent } from '../../src/rules/types.js';
import { temporalTestContext, uniqueName } from '../../test/helpers/temporal.js';

const TOTAL = Number(process.env.EXPORT_BENCH_EVENTS ?? 100_000);
const ENTITIES = 100;
const TYPE = `bench${randomUUID().slice(0, 8)}`;

it(`exports ${TOTAL} events`, async () => {
  const ctx = await temporalTestContext();
  const compiled = compileConfigText(
    `
name: export-bench
entities: { ${TYPE}: { key: data.id } }
sources: { scanner: { auth: none } }
events: { item.scanned: { source: scanner, entity: ${TYPE} } }
`,
    'export-bench.yaml',
  );
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
  const delivery = new EntityDelivery({ client: ctx.client, taskQueue: uniqueName('bench'), config: compiled.config });
  const perEntity = TOTAL / ENTITIES;
  const loadStart = performance.now();
  const event = (key: string, n: number): EngineEvent => ({
    id: `${key}-${n}`,
    source: 'scanner',
    type: 'item.scanned',
    specversion: '1.0',
    time: '2026-05-01T10:00:00Z',
    data: { id: key, n, checkpoint: `checkpoint-${n % 5}`, note: 'a typical small payload of some forty bytes' },
  });
  // Five entities at a time, each entity's signals in order: a loaded dev server times out wider fan-outs.
  for (let first = 0; first < ENTITIES; first += 5) {
    await Promise.all(
      Array.from({ length: 5 }, async (_, j) => {
        for (let start = 0; start < perEntity; start += 100) {
          await delivery.send(Array.from({ length: 100 }, (_, i) => event(`e${first + j}`, start + i)));
        }
      }),
    );
  }
  const loadSeconds = (performance.now() - loadStart) / 1000;
  for (;;) {
    const { count } = await ctx.client.workflow.count(`HuntEntityType = "${TYPE}"`);
    if (count === ENTITIES) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }

  global.gc?.();
  const base = process.memoryUsage();
  let peakHeap = base.heapUsed;
  let peakRss = base.rss;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakRss = Math.max(peakRss, m.rss);
  }, 50);
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done();
    },
  });
  const start = performance.now();
  const progress = await writeExport(ctx.client, eventFiltersSchema.parse({ entityType: TYPE }), sink);
  const seconds = (performance.now() - start) / 1000;
  clearInterval(sampler);
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  const line =
    `export: ${progress.events} events from ${progress.entities} entities in ${seconds.toFixed(1)} s = ` +
    `${Math.round(progress.events / seconds)} events/s, ${mb(bytes)} MB of JSONL; ` +
    `heap ${mb(base.heapUsed)} MB before, peak ${mb(peakHeap)} MB (+${mb(peakHeap - base.heapUsed)}); ` +
    `RSS peak +${mb(peakRss - base.rss)} MB; load took ${loadSeconds.toFixed(1)} s`;
  process.stdout.write(`${line}\n`);
  expect(progress.events).toBe(TOTAL);
});
