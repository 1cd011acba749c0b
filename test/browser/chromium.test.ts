import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { chromiumExecutable } from './chromium.js';

const cache = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-chromium-cache-'));
afterAll(() => fs.rm(cache, { recursive: true, force: true }));

it('unpacks the Chromium shipped in the npm package into an empty cache, and it runs here', async () => {
  const executable = await chromiumExecutable({ XDG_CACHE_HOME: cache });
  expect(executable.startsWith(path.join(cache, 'treasure-hunt', 'chromium'))).toBe(true);
  const { stdout } = await promisify(execFile)(executable, ['--version']);
  expect(stdout).toMatch(/^Chromium \d+\./);
  // A second call finds the cached binary instead of unpacking again.
  const { mtimeMs } = await fs.stat(executable);
  expect(await chromiumExecutable({ XDG_CACHE_HOME: cache })).toBe(executable);
  expect((await fs.stat(executable)).mtimeMs).toBe(mtimeMs);
});

it('uses HUNT_CHROMIUM_PATH when it is set', async () => {
  expect(await chromiumExecutable({ HUNT_CHROMIUM_PATH: '/opt/chromium/chrome' })).toBe('/opt/chromium/chrome');
});
