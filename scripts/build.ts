/**
 * `npm run build` (also run by `npm install`'s prepare, and by `npm start` when the sources changed):
 * compiles src/, workflows/ and activities/ into dist/ (tsc, no type check: `npm run lint` checks types),
 * then bundles the workflow code once into dist/workflow-bundle.js, so a compiled worker starts without
 * bundling; compiles ajv's draft-07 meta-schema validator ahead and bundles the CLI into dist/src/cli-bundle/
 * (esbuild), for a fast `hunt`, plus the offline commands' CommonJS bundle that `hunt` runs through V8's code
 * cache (bin/code-cache.js). The stamp written last marks the build complete (bin/build-state.js compares it to
 * the sources).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { build as esbuild } from 'esbuild';
import type { Plugin } from 'esbuild';
import { draft07ValidatorCode } from '../src/config/json-schema-meta-code.js';
import type * as CommandModules from '../src/cli/command-modules.js';
import type * as WorkflowPaths from '../src/worker/workflows-path.js';

const root = path.resolve(import.meta.dirname, '..');
// `--out-dir <dir>` builds elsewhere (the build test does, beside a dist/ other tests may be running).
const outDirFlag = process.argv.indexOf('--out-dir');
const dist = outDirFlag > 0 ? path.resolve(process.argv[outDirFlag + 1]!) : path.join(root, 'dist');

async function main(): Promise<void> {
  const started = performance.now();
  const say = (line: string) => process.stderr.write(`build: ${line}\n`);
  const step = (what: string) => say(`${what}…`);
  await fs.rm(dist, { recursive: true, force: true });

  step(`compiling TypeScript into ${path.relative(root, dist) || dist}/`);
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const compiled = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', dist], {
    stdio: 'inherit',
  });
  if (compiled.status !== 0) throw new Error(`tsc exited with ${compiled.status ?? compiled.signal}`);

  step('bundling the workflow code');
  // The compiled module names its own paths: the dist/ workflows, preloads and bundle file.
  const paths = (await import(path.join(dist, 'src/worker/workflows-path.js'))) as typeof WorkflowPaths;
  const { code } = await bundleWorkflowCode({
    workflowsPath: paths.workflowsPath,
    preloadModules: paths.workflowPreloadModules,
    logger: { trace() {}, debug() {}, info() {}, log() {}, warn: (m) => say(`bundler: ${m}`), error: (m) => say(m) },
  });
  await fs.writeFile(paths.builtWorkflowBundlePath!, code);

  step('compiling the JSON Schema meta-schema (ajv standalone)');
  await fs.writeFile(path.join(dist, 'src/config/json-schema-draft07.cjs'), draft07ValidatorCode());

  step('bundling the CLI');
  await bundleCli(path.join(dist, 'src/cli/main.js'), path.join(dist, 'src/cli-bundle'));
  await bundleOfflineCli(dist);

  await fs.writeFile(path.join(dist, '.build-stamp'), `${new Date().toISOString()}\n`);
  say(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * The packages the offline commands (`hunt validate`, `lint`, `graph`, `docs`) load, inlined into the CLI
 * bundle: Node resolves and reads each of their hundreds of files one by one, which was a third of
 * `hunt validate`'s start. Everything else (Temporal, Fastify, pino — only the commands that talk to a
 * server load them) stays in node_modules, so the SDKs' own file lookups keep working.
 */
const CLI_INLINED_PACKAGES = new Set([
  'commander',
  'yaml',
  'zod',
  'ajv',
  'ajv-formats',
  'fast-uri',
  'fast-deep-equal',
  'json-schema-traverse',
  'require-from-string',
  '@marcbachmann/cel-js',
]);

/**
 * Bundles the compiled CLI with its commands split into lazily loaded chunks (as command-modules.ts loads
 * them). The output sits one level under dist/src/, as dist/src/cli/ does, so the paths modules compute
 * from `import.meta.url` (the workflow bundle, the package version) resolve the same.
 */
async function bundleCli(entry: string, outdir: string): Promise<void> {
  await esbuild({
    entryPoints: [entry],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    // The inlined CommonJS packages `require()` Node's built-ins, which an ES module has no binding for.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
    },
    plugins: [externalPackages],
    logLevel: 'warning',
  });
}

/** Inlines CLI_INLINED_PACKAGES; every other package stays an import of node_modules. */
const externalPackages: Plugin = {
  name: 'external-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, ({ path: specifier }) => {
      const name = specifier.startsWith('@') ? specifier.split('/', 2).join('/') : specifier.split('/', 1)[0]!;
      return CLI_INLINED_PACKAGES.has(name) ? undefined : { external: true };
    });
  },
};

/**
 * The whole CLI once more as a single CommonJS file, `dist/src/cli-bundle/offline.cjs`, with a manifest
 * (`offline.json`) naming the short offline commands (`shortRun` in command-modules.ts) and their V8 flags.
 * bin/hunt.js runs those commands from it through a V8 code cache (bin/code-cache.js): Node 20 caches no
 * compiled code for ES modules, and compiling the bundle was a third of `hunt validate`. The same main.ts is
 * the entry, so the program, its commands and their output are the ES module build's.
 */
async function bundleOfflineCli(dist: string): Promise<void> {
  const outfile = path.join(dist, 'src/cli-bundle/offline.cjs');
  await esbuild({
    entryPoints: [path.join(dist, 'src/cli/main.js')],
    outfile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    // Modules find their files from `import.meta.url` (the package version, the precompiled meta-schema); the
    // bundle sits where the ES module bundle's entry does, so the same relative paths resolve.
    banner: { js: "const __hunt_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
    define: { 'import.meta.url': '__hunt_import_meta_url' },
    plugins: [externalPackages],
    logLevel: 'warning',
  });
  const { commandModules, shortRunFlags } = (await import(
    path.join(dist, 'src/cli/command-modules.js')
  )) as typeof CommandModules;
  const offline = commandModules.filter((m) => m.shortRun);
  const manifest = {
    bundle: path.basename(outfile),
    commands: offline.flatMap((m) => m.commands),
    v8Flags: shortRunFlags(offline),
  };
  await fs.writeFile(path.join(dist, 'src/cli-bundle/offline.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`build failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
