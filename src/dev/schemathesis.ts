/**
 * Schemathesis (PyPI), the OpenAPI fuzzer the ingest's contract test runs: installed with pip into a
 * virtual environment in the project's cache (`~/.cache/treasure-hunt/schemathesis-<version>`), once.
 * CI provisions it before the tests (`npm run schemathesis:provision`); the test provisions it on demand.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { defaultCacheRoot } from './temporal-cli.js';

const run = promisify(execFile);

/** The pinned version: a new release can change what it checks, so upgrades are deliberate. */
export const SCHEMATHESIS_VERSION = '4.32.5';

/** Where the virtual environment lives, and its `schemathesis` entry point. */
export function schemathesisPaths(env: Record<string, string | undefined> = process.env) {
  const venv = path.join(defaultCacheRoot(env), `schemathesis-${SCHEMATHESIS_VERSION}`);
  return { venv, bin: path.join(venv, 'bin', 'schemathesis') };
}

/** Finds or installs Schemathesis; returns the path of its command. Needs `python3` (3.9+) with `venv`. */
export async function provisionSchemathesis(
  env: Record<string, string | undefined> = process.env,
): Promise<{ bin: string; origin: 'cache' | 'installed' }> {
  const { venv, bin } = schemathesisPaths(env);
  // A venv's scripts name its own path, so it is built in place; the marker says the install finished.
  const complete = path.join(venv, '.installed');
  if (existsSync(complete)) return { bin, origin: 'cache' };
  await rm(venv, { recursive: true, force: true });
  await mkdir(path.dirname(venv), { recursive: true });
  try {
    await run('python3', ['-m', 'venv', venv], { timeout: 120_000 });
    await run(
      path.join(venv, 'bin', 'pip'),
      ['install', '--quiet', '--disable-pip-version-check', `schemathesis==${SCHEMATHESIS_VERSION}`],
      { timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (err) {
    await rm(venv, { recursive: true, force: true });
    const detail = err instanceof Error ? err.message : String(err);
    throw new Error(
      `could not install Schemathesis ${SCHEMATHESIS_VERSION} with pip into ${venv}: ${detail}\n` +
        'It needs python3 with the venv module (Debian: apt-get install python3-venv) and access to PyPI.',
      { cause: err },
    );
  }
  await writeFile(complete, `schemathesis ${SCHEMATHESIS_VERSION}\n`);
  return { bin, origin: 'installed' };
}
