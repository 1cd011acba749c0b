/**
 * The compiled build: `npm run build` into its own directory (other tests may be using dist/), the CLI run
 * from it, and the compiled engine started from it — its worker on the workflow bundle made at build time —
 * handling an event, with no warning in a healthy start. Plus when `hunt` and `npm start` see a stale build.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
// @ts-expect-error -- plain JavaScript without types (it runs before anything is compiled)
import { buildIsCurrent } from '../../bin/build-state.js';
// @ts-expect-error -- plain JavaScript without types (it runs before anything is compiled)
import { offlineBundleFor as offlineBundleForJs } from '../../bin/code-cache.js';
import { freePort } from '../helpers/free-port.js';

const run = promisify(execFile);
const checkBuild = buildIsCurrent as (projectRoot: string) => boolean;
const offlineBundleFor = offlineBundleForJs as (
  distDir: string,
  command: string | undefined,
) => { file: string; v8Flags: string | undefined } | undefined;
let out: string;

beforeAll(async () => {
  await fs.mkdir('.hunt', { recursive: true });
  // Inside the project, so the compiled modules resolve node_modules as dist/ does.
  out = await fs.mkdtemp(path.resolve('.hunt', 'build-test-'));
  await run(process.execPath, ['--import', 'tsx', 'scripts/build.ts', '--out-dir', out]);
}, 240_000);
afterAll(async () => {
  if (out) await fs.rm(out, { recursive: true, force: true });
});

describe('npm run build', () => {
  it('compiles the sources, bundles the workflow code and stamps the build', async () => {
    for (const file of ['src/main.js', 'src/cli/main.js', 'src/client/index.d.ts', 'workflows/index.js'])
      await expect(fs.stat(path.join(out, file))).resolves.toBeTruthy();
    const bundle = await fs.readFile(path.join(out, 'workflow-bundle.js'), 'utf8');
    expect(bundle).toContain('entityWorkflow');
    await expect(fs.stat(path.join(out, '.build-stamp'))).resolves.toBeTruthy();
  });

  it('gives a CLI, compiled and bundled, that prints its version and validates the reference configuration', async () => {
    const { version } = JSON.parse(await fs.readFile('package.json', 'utf8')) as { version: string };
    for (const cli of [path.join(out, 'src/cli/main.js'), path.join(out, 'src/cli-bundle/main.js')]) {
      expect((await run(process.execPath, [cli, '--version'])).stdout.trim()).toBe(version);
      const { stdout } = await run(process.execPath, [cli, 'validate', 'examples/treasure-hunt/hunt.yaml']);
      expect(stdout).toMatch(/^ok city-treasure-hunt \(version [0-9a-f]+\)/);
    }
  });

  it('checks event schemas with the meta-schema validator compiled at build time, as ajv does', async () => {
    await expect(fs.stat(path.join(out, 'src/config/json-schema-draft07.cjs'))).resolves.toBeTruthy();
    const cli = path.join(out, 'src/cli-bundle/main.js');
    const first = await run(process.execPath, [cli, 'validate', 'examples/treasure-hunt/broken/bad-schema.yaml']).catch(
      (err: { stderr: string }) => err,
    );
    expect(first.stderr).toMatch(/not a valid JSON Schema: .*unknown keyword: "requried"/);
    // Broken against the meta-schema itself: the precompiled validator's message, with ajv's wording.
    const broken = path.join(out, 'broken-type.yaml');
    const text = await fs.readFile('examples/treasure-hunt/broken/bad-schema.yaml', 'utf8');
    await fs.writeFile(broken, text.replace('requried: [teamId]', 'required: teamId'));
    const second = await run(process.execPath, [cli, 'validate', broken]).catch((err: { stderr: string }) => err);
    expect(second.stderr).toMatch(/not a valid JSON Schema: schema is invalid: data\/required must be array/);
  });

  it('runs the offline commands from one CommonJS bundle through a V8 code cache, with the same output', async () => {
    const offline = offlineBundleFor(out, 'validate');
    expect(offline).toEqual({ file: path.join(out, 'src/cli-bundle/offline.cjs'), v8Flags: expect.any(String) });
    for (const other of ['send', 'simulate', '--version', '--help', undefined])
      expect(offlineBundleFor(out, other), String(other)).toBeUndefined();
    // As bin/hunt.js runs it, with a cache directory of its own.
    const runner = path.join(out, 'run-offline.mjs');
    const codeCache = pathToFileURL(path.resolve('bin/code-cache.js')).href;
    await fs.writeFile(
      runner,
      `import { offlineBundleFor, runWithCodeCache } from ${JSON.stringify(codeCache)};\n` +
        `runWithCodeCache(offlineBundleFor(${JSON.stringify(out)}, process.argv[2]), process.env.TEST_CACHE_DIR);\n`,
    );
    const cacheDir = path.join(out, 'code-cache');
    const outcome = (file: string, args: string[], env: Record<string, string> = {}) =>
      run(process.execPath, [file, ...args], { env: { ...process.env, ...env } }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (err: { code: number; stdout: string; stderr: string }) => ({
          code: err.code,
          stdout: err.stdout,
          stderr: err.stderr,
        }),
      );
    const esm = path.join(out, 'src/cli-bundle/main.js');
    const cases = [
      ['validate', 'examples/treasure-hunt/hunt.yaml'],
      ['validate', 'examples/treasure-hunt/broken/bad-schema.yaml'],
      ['validate', 'examples/treasure-hunt/broken/bad-cel.yaml', '--json'],
      ['lint', 'examples/treasure-hunt/hunt.yaml'],
      ['graph', 'examples/treasure-hunt/hunt.yaml'],
      ['validate', '--help'],
    ];
    for (const args of cases) {
      const expected = await outcome(esm, args);
      expect(await outcome(runner, args, { TEST_CACHE_DIR: cacheDir }), args.join(' ')).toEqual(expected);
    }
    expect((await outcome(esm, cases[1]!)).code).toBe(1);
    // The first run wrote the cache; V8 accepted it since (a refused one is rewritten).
    const [cached, ...more] = await fs.readdir(cacheDir);
    expect(more).toEqual([]);
    const written = (await fs.stat(path.join(cacheDir, cached!))).mtimeMs;
    expect((await outcome(runner, cases[0]!, { TEST_CACHE_DIR: cacheDir })).code).toBe(0);
    expect((await fs.stat(path.join(cacheDir, cached!))).mtimeMs).toBe(written);
    // Where no cache can be written, the command still runs.
    const blocked = path.join(out, 'not-a-directory');
    await fs.writeFile(blocked, '');
    expect(await outcome(runner, cases[0]!, { TEST_CACHE_DIR: blocked })).toEqual(await outcome(esm, cases[0]!));
  });

  it('gives an engine whose worker runs the prebuilt bundle: an event is handled, and nothing warns', async () => {
    const temporal = inject('temporal');
    if ('error' in temporal) throw new Error(temporal.error);
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-build-'));
    const ports = {
      TEMPORAL_DEV_PORT: await freePort(),
      TEMPORAL_DEV_UI_PORT: await freePort(),
      HUNT_PORT: await freePort(),
      HUNT_SANDBOX_PORT: await freePort(),
    };
    const engine = spawn(process.execPath, [path.join(out, 'src/main.js')], {
      env: {
        ...process.env,
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'debug',
        TEMPORAL_CLI_PATH: temporal.cliPath,
        HUNT_TASK_QUEUE: 'build-test',
        HUNT_STATE_DIR: stateDir,
        SCANNER_API_KEY: 'build-test-key',
        ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    engine.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    engine.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise((resolve) => engine.once('exit', resolve));
    try {
      const deadline = Date.now() + 90_000;
      while (!output.includes('Stop with Ctrl-C')) {
        if (engine.exitCode !== null) throw new Error(`engine exited early:\n${output}`);
        if (Date.now() > deadline) throw new Error(`engine did not start in 90 s:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const response = await fetch(`http://127.0.0.1:${ports.HUNT_PORT}/events?wait=true`, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json', 'x-api-key': 'build-test-key' },
        body: JSON.stringify({
          specversion: '1.0',
          id: 'build-1',
          source: 'scanners',
          type: 'checkpoint.scanned',
          data: { teamId: 'compiled-foxes', huntId: 'build', checkpoint: 'cp-1' },
        }),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ status: 'accepted', workflowId: 'team/compiled-foxes' });
    } finally {
      engine.kill('SIGINT');
      await exited;
      await fs.rm(stateDir, { recursive: true, force: true });
    }
    const lines = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string; taskQueue?: string; options?: object });
    // The connector workers' "No workflows registered" is expected and logged at debug (30 = info, 40 = warn).
    expect(lines.some((l) => l.level === 20 && l.msg.startsWith('No workflows registered'))).toBe(true);
    expect(lines.filter((l) => l.level >= 40).map((l) => l.msg)).toEqual([]);
    // The entity worker loaded the bundle made at build time instead of bundling workflows/ at start.
    const created = lines.find((l) => l.msg === 'Creating worker' && l.taskQueue === 'build-test');
    expect(created?.options).toMatchObject({ workflowBundle: { codePath: path.join(out, 'workflow-bundle.js') } });
    expect(created?.options).not.toHaveProperty('workflowsPath');
  }, 120_000);
});

describe('build freshness (bin/build-state.js)', () => {
  it('is current only when the stamp is newer than every source, and a deleted file counts', async () => {
    const project = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-fresh-'));
    try {
      await fs.mkdir(path.join(project, 'src/cli'), { recursive: true });
      await fs.writeFile(path.join(project, 'src/cli/main.ts'), '');
      await fs.writeFile(path.join(project, 'src/gone.ts'), '');
      await fs.writeFile(path.join(project, 'package.json'), '{}');
      expect(checkBuild(project), 'no build yet').toBe(false);
      const at = (secondsAgo: number) => new Date(Date.now() - secondsAgo * 1000);
      for (const p of ['src/cli/main.ts', 'src/cli', 'src/gone.ts', 'src', 'package.json'])
        await fs.utimes(path.join(project, p), at(60), at(60));
      const stamp = path.join(project, 'dist/.build-stamp');
      await fs.mkdir(path.join(project, 'dist'));
      await fs.writeFile(stamp, '');
      await fs.utimes(stamp, at(30), at(30));
      expect(checkBuild(project), 'built after every change').toBe(true);
      await fs.rm(path.join(project, 'src/gone.ts'));
      expect(checkBuild(project), 'a source deleted since').toBe(false);
      await fs.utimes(path.join(project, 'src'), at(60), at(60));
      expect(checkBuild(project)).toBe(true);
      await fs.writeFile(path.join(project, 'src/cli/main.ts'), '// changed');
      expect(checkBuild(project), 'a source edited since').toBe(false);
    } finally {
      await fs.rm(project, { recursive: true, force: true });
    }
  });
});
