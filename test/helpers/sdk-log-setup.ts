/**
 * Vitest setup for every test file: each test starts with an empty SDK log buffer (test/helpers/sdk-log.ts),
 * and a failed test prints what the SDK logged during it. Imports no Temporal code, so pure unit tests
 * load nothing more.
 */
import { afterEach, beforeEach } from 'vitest';

interface Entry {
  level: string;
  message: string;
  timestampNanos: bigint;
  meta?: Record<string, unknown>;
}

const buffer = () => (globalThis as { huntSdkLog?: { entries: Entry[] } }).huntSdkLog;

beforeEach(() => {
  buffer()?.entries.splice(0);
});

afterEach((context) => {
  const entries = buffer()?.entries;
  if (context.task.result?.state !== 'fail' || !entries?.length) return;
  const lines = entries.map((e) => {
    const time = new Date(Number(e.timestampNanos / 1_000_000n)).toISOString();
    return `${time} [${e.level}] ${e.message}${e.meta ? ` ${JSON.stringify(e.meta, bigintSafe)}` : ''}`;
  });
  process.stderr.write(`\nTemporal SDK log of the failed test "${context.task.name}":\n${lines.join('\n')}\n`);
});

function bigintSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
