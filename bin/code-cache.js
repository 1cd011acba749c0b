// The short offline commands (`hunt validate`, `lint`, `graph`, `docs`) run from one CommonJS bundle of the
// CLI (dist/src/cli-bundle/offline.cjs, made by `npm run build`) compiled through a V8 code cache: Node 20 has
// none for ES modules, and compiling the bundle's source was a third of `hunt validate`. The first run writes
// the cache, with every function that run compiled, to `$XDG_CACHE_HOME/treasure-hunt/cli-code-cache/` (or
// `~/.cache/...`); later runs skip parsing and compiling those functions. The cache is keyed by the bundle's
// size and time, Node's version and the V8 flags, and V8 refuses one that does not fit (it is then rewritten).
// Without a writable cache directory the commands run as well, only compiling each time.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import vm from 'node:vm';

/**
 * The offline bundle of `<distDir>/src/cli-bundle/` if `command` is one of its commands, else undefined
 * (another command, or a build without it).
 * @param {string} distDir @param {string | undefined} command
 * @returns {{ file: string, v8Flags: string | undefined } | undefined}
 */
export function offlineBundleFor(distDir, command) {
  if (command === undefined || command.startsWith('-')) return undefined;
  const dir = path.join(distDir, 'src', 'cli-bundle');
  /** @type {{ bundle: string, commands: string[], v8Flags?: string }} */
  let manifest;
  try {
    // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- the build's manifest (scripts/build.ts)
    manifest = JSON.parse(fs.readFileSync(path.join(dir, 'offline.json'), 'utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(manifest.commands) || !manifest.commands.includes(command)) return undefined;
  return { file: path.join(dir, manifest.bundle), v8Flags: manifest.v8Flags ?? undefined };
}

/** @param {Record<string, string | undefined>} env */
export function codeCacheDir(env = process.env) {
  return path.join(
    env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache'),
    'treasure-hunt',
    'cli-code-cache',
  );
}

/**
 * Runs a CommonJS file as Node's loader would, through the code cache in `cacheDir`.
 * @param {{ file: string, v8Flags: string | undefined }} bundle @param {string} [cacheDir]
 */
export function runWithCodeCache(bundle, cacheDir = codeCacheDir()) {
  // The flags the program sets for itself are set before compiling: V8 accepts a cache only under the flags it
  // was made with.
  if (bundle.v8Flags) setFlagsFromString(bundle.v8Flags);
  const stat = fs.statSync(bundle.file);
  // One cache per installation (checkouts side by side keep theirs) and per set of Node flags (they change
  // V8's, and V8 refuses a cache made under other flags); a new build of the installation replaces its cache.
  const flags = [bundle.v8Flags ?? '', ...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
  const prefix = `${path.basename(bundle.file)}-${fnv1a(bundle.file)}-${fnv1a(flags)}-`;
  const key = [stat.size, Math.trunc(stat.mtimeMs), process.version, process.arch].join('-');
  const cacheFile = path.join(cacheDir, `${prefix}${key}.bin`);
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  let source = fs.readFileSync(bundle.file, 'utf8');
  if (source.startsWith('#!')) source = `//${source.slice(2)}`;
  // Node's own CommonJS wrapper, on the first line so that line numbers stay the file's.
  const wrapped = `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;
  // A script read back from a code cache has no dynamic-import callback (even with `importModuleDynamically`):
  // this module lends its own `import()` to the bundle (src/config/connector-modules.ts loads tsx through it).
  Reflect.set(globalThis, Symbol.for('treasure-hunt.import'), (/** @type {string} */ specifier) => import(specifier));
  const script = new vm.Script(wrapped, { filename: bundle.file, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    // At exit the script holds every function this run compiled, not only the top level.
    process.once('exit', () => writeCache(script, cacheDir, cacheFile, prefix));
  }
  const module = { exports: {}, filename: bundle.file, id: bundle.file };
  /** @type {(exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void} */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- the wrapper function above
  const run = script.runInThisContext();
  run(module.exports, createRequire(bundle.file), module, bundle.file, path.dirname(bundle.file));
}

/** @param {string} text @returns {string} a short hash of `text` (FNV-1a, 32 bits) */
function fnv1a(text) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16);
}

/** @param {vm.Script} script @param {string} cacheDir @param {string} cacheFile @param {string} prefix */
function writeCache(script, cacheDir, cacheFile, prefix) {
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    // Written whole under another name, then renamed: a run at the same time reads the old cache or the new one.
    const partial = `${cacheFile}.${process.pid}.tmp`;
    fs.writeFileSync(partial, script.createCachedData());
    fs.renameSync(partial, cacheFile);
    for (const name of fs.readdirSync(cacheDir)) {
      if (name.startsWith(prefix) && name !== path.basename(cacheFile) && !name.endsWith('.tmp'))
        fs.rmSync(path.join(cacheDir, name), { force: true });
    }
  } catch {
    // No writable cache (a read-only home, a full disk): the next run compiles again.
  }
}
