/**
 * `hunt validate` keeps what it learnt of a TypeScript connector module (its connectors and their inputs) in a
 * cache, so it does not import the module and everything the module imports on every run. These tests run the
 * installed `hunt` command (bin/hunt.js) against a module that notes each time it is imported, and check that
 * the cached description is used while nothing it came from changed, and dropped when the module, a local file
 * it imports, or the lockfile changes; a module that fails to load is never cached.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const FIXTURES = path.resolve('test/fixtures/connectors');

const config = (module: string) => `name: cached
entities:
  team: { key: data.teamId, initial: {} }
sources: { game: { auth: none } }
events:
  team.scored:
    source: game
    entity: team
    schema: { type: object, required: [teamId], properties: { teamId: { type: string } } }
connectors:
  scorer: { module: ${module} }
rules:
  - id: score
    on: team.scored
    then:
      - call: scorer
        body: { team: '{{ entity.key }}', points: true }
`;

const shared = (pointsType: 'number' | 'boolean') => `import { z } from 'zod';
export const input = z.object({ team: z.string(), points: z.${pointsType}() });
`;

const scorer = `import { appendFileSync } from 'node:fs';
import { defineConnector } from 'treasure-hunt-engine/connector';
import { input } from './shared.ts';
appendFileSync(process.env.IMPORTS_FILE!, 'scorer\\n');
export const scorer = defineConnector({ name: 'scorer', input, run: () => undefined });
`;

const broken = `import { appendFileSync } from 'node:fs';
appendFileSync(process.env.IMPORTS_FILE!, 'broken\\n');
throw new Error('the broken module fails at import');
`;

describe('the connector description cache of hunt validate', () => {
  let dir: string;
  let cacheHome: string;
  let importsFile: string;

  beforeAll(async () => {
    // Inside the repository, so the module resolves zod and the engine's SDK as a user's would.
    dir = await mkdtemp(path.join(FIXTURES, 'cache-'));
    cacheHome = path.join(dir, 'cache-home');
    importsFile = path.join(dir, 'imports.log');
    await writeFile(importsFile, '');
    await writeFile(path.join(dir, 'shared.ts'), shared('number'));
    await writeFile(path.join(dir, 'scorer.ts'), scorer);
    await writeFile(path.join(dir, 'broken.ts'), broken);
    // The lockfile nearest the module is this directory's own.
    await writeFile(path.join(dir, 'package-lock.json'), '{ "lockfileVersion": 3 }\n');
    await writeFile(path.join(dir, 'hunt.yaml'), config('./scorer.ts'));
    await writeFile(path.join(dir, 'broken.yaml'), config('./broken.ts'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function validate(file: string): Promise<{ code: number; stderr: string; imports: string[] }> {
    const env = { ...process.env, XDG_CACHE_HOME: cacheHome, IMPORTS_FILE: importsFile, NO_COLOR: '1' };
    const result = await run(process.execPath, ['bin/hunt.js', 'validate', path.join(dir, file)], { env }).then(
      (ok) => ({ code: 0, stderr: ok.stderr }),
      (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
    );
    const imports = (await readFile(importsFile, 'utf8')).split('\n').filter(Boolean);
    return { ...result, imports };
  }

  const wantsNumber = 'body field `points` is true, a boolean, but connector "scorer"\'s input wants a number';

  it('imports the module once, then validates from its description until a source changes', async () => {
    const first = await validate('hunt.yaml');
    expect(first.code).toBe(1);
    expect(first.stderr).toContain(wantsNumber);
    expect(first.imports).toEqual(['scorer']);

    // Unchanged: the same verdict, without importing the module again.
    const second = await validate('hunt.yaml');
    expect(second).toEqual({ ...first, imports: ['scorer'] });
    const entries = await readdir(path.join(cacheHome, 'treasure-hunt', 'connector-modules'));
    expect(entries.filter((name) => name.endsWith('.json'))).toHaveLength(1);

    // A local file the module imports changed: imported again, and the new input decides.
    await writeFile(path.join(dir, 'shared.ts'), shared('boolean'));
    const afterShared = await validate('hunt.yaml');
    expect(afterShared.code).toBe(0);
    expect(afterShared.imports).toEqual(['scorer', 'scorer']);
    expect((await validate('hunt.yaml')).imports).toHaveLength(2);

    // The module itself changed.
    await writeFile(path.join(dir, 'scorer.ts'), `${scorer}// another line\n`);
    expect((await validate('hunt.yaml')).imports).toHaveLength(3);

    // The lockfile changed (installed packages may have).
    await writeFile(path.join(dir, 'package-lock.json'), '{ "lockfileVersion": 3, "packages": {} }\n');
    const afterLock = await validate('hunt.yaml');
    expect(afterLock.code).toBe(0);
    expect(afterLock.imports).toHaveLength(4);
    expect((await validate('hunt.yaml')).imports).toHaveLength(4);
  });

  it('never caches a module that fails to load: each run imports it and reports its error', async () => {
    const before = (await validate('hunt.yaml')).imports.length;
    for (let i = 1; i <= 2; i++) {
      const result = await validate('broken.yaml');
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        'connectors.scorer.module: connector "scorer": module ./broken.ts cannot be loaded',
      );
      expect(result.stderr).toContain('the broken module fails at import');
      expect(result.imports.slice(before)).toEqual(Array.from({ length: i }, () => 'broken'));
    }
  });
});
