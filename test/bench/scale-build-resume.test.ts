/**
 * Scenario 9's build of many entities takes hours at the full size, so it can stop at a deadline
 * (`--build-minutes`) and go on later from its progress file. This builds a small set in two runs, the first
 * stopped by its deadline, and checks that the second goes on from the first one's progress and finishes (every
 * entity's events handled and every entity compacted, which the build waits for), and that the build is then
 * reused as it is.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchSizes } from '../../bench/bench-options.js';
import { openBenchContext, type OpenedBench } from '../../bench/harness.js';
import { builtState } from '../../bench/scenarios/scale-entities.js';

const SIZES: BenchSizes['scale'] = {
  entities: 60,
  historyEvents: 6,
  buildConcurrency: 2,
  cache: 4,
  probes: 4,
  concurrency: 2,
  wave: 2,
  reuseBuild: true,
};

describe('scenario 9 build', () => {
  let bench: OpenedBench;
  let root: string;
  const lines: string[] = [];
  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-scale-build-'));
    bench = await openBenchContext({ logger: pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) }) });
  });
  afterAll(async () => {
    await bench?.close();
    await fs.rm(root, { recursive: true, force: true });
  });

  it(
    'stops at its deadline keeping its progress, goes on from there, and is reused once complete',
    { timeout: 300_000 },
    async () => {
      const log = (line: string) => void lines.push(line);
      // 1.2 s: far too short for 240 events one at a time.
      const first = await builtState(bench.ctx, { ...SIZES, buildMinutes: 0.02 }, log, root);
      expect(first.complete).toBe(false);
      if (first.complete) return;
      expect(first.progress.next).toBeGreaterThan(0);
      expect(first.progress.next).toBeLessThan(SIZES.entities);
      expect(first.progress.runs).toBe(1);
      const saved = JSON.parse(await fs.readFile(path.join(first.building, 'progress.json'), 'utf8')) as {
        next: number;
      };
      expect(saved.next).toBe(first.progress.next);
      expect(await fs.readFile(path.join(first.building, 'lock'), 'utf8').catch(() => 'none')).toBe('none');

      const second = await builtState(bench.ctx, SIZES, log, root);
      expect(second.complete).toBe(true);
      if (!second.complete) return;
      expect(second.reused).toBe(false);
      expect(second.record.runs).toBe(2);
      expect(second.record.entities).toBe(SIZES.entities);
      expect(lines.some((l) => l.includes(`going on with the build from entity ${first.progress.next}`))).toBe(true);
      await fs.rm(second.stateDir, { recursive: true, force: true });

      // Complete: the next run copies it without building.
      const third = await builtState(bench.ctx, SIZES, log, root);
      expect(third.complete && third.reused).toBe(true);
      if (third.complete) await fs.rm(third.stateDir, { recursive: true, force: true });
      expect(await fs.readdir(root)).toHaveLength(1);
    },
  );
});
