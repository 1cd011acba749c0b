/**
 * What `hunt validate`, `hunt lint` and `hunt docs` need of a TypeScript connector module: which
 * `defineConnector` values it exports, under which names, and each one's input as JSON Schema. Getting that
 * means importing the module, and with it everything it imports (the reference config's mailer pulls in
 * Nodemailer: about 0.6 s); so the description is kept in `$XDG_CACHE_HOME/treasure-hunt/connector-modules/`
 * and reused while nothing it came from has changed. What it came from is every file the import loaded, as
 * tsx reports them: a file of the project by its content, a file of an installed package by its package's
 * `package.json` (its name and version), and the lockfile nearest the module. A module that fails to load is
 * never cached, so its error is always fresh. The worker never reads this cache: it imports the module for real.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { writeCacheFile } from '../dev/cache-file.js';
import { defaultCacheRoot } from '../dev/temporal-cli.js';
import type { CompiledConfig } from './compiled.js';
import { connectorModuleFile, definedConnectors, findConnector, importModule, notFound } from './connector-modules.js';

/** A connector's input as JSON Schema (draft-07); undefined when zod cannot represent it. */
export type InputSchema = Record<string, unknown> | undefined;

/** A module's connectors as the offline commands need them. */
export interface ModuleDescription {
  exportNames: string[];
  connectors: Array<{ exportName: string; name: string; input: InputSchema }>;
}

export interface DescribeOptions {
  /** Where descriptions are kept; `false` describes every module by importing it. */
  cacheDir?: string | false;
}

// Bumped when what a description holds, or how an input becomes JSON Schema, changes.
const FORMAT = 1;
const LOCKFILES = ['package-lock.json', 'npm-shrinkwrap.json', 'pnpm-lock.yaml', 'yarn.lock', 'bun.lock'];

interface CacheEntry {
  format: number;
  module: string;
  sources: Array<{ file: string; sha256: string }>;
  description: ModuleDescription;
}

/** The default cache directory of module descriptions. */
export function descriptionCacheDir(env: Record<string, string | undefined> = process.env): string {
  return path.join(defaultCacheRoot(env), 'connector-modules');
}

/** A connector's input as JSON Schema (draft-07), or undefined when zod cannot represent it. */
export function inputJsonSchema(input: z.ZodType): InputSchema {
  try {
    return z.toJSONSchema(input, { target: 'draft-7', io: 'input', unrepresentable: 'any' });
  } catch {
    return undefined;
  }
}

/**
 * Describes the TypeScript connectors of a configuration: each one's input schema by connector name, and the
 * connectors whose module is missing, fails to load or lacks their `defineConnector`.
 */
export async function describeConnectorModules(
  config: CompiledConfig,
  configFile: string,
  options: DescribeOptions = {},
): Promise<{ inputs: Map<string, InputSchema>; problems: Array<{ connector: string; reason: string }> }> {
  const cacheDir = options.cacheDir ?? descriptionCacheDir();
  const inputs = new Map<string, InputSchema>();
  const problems: Array<{ connector: string; reason: string }> = [];
  const described = new Map<
    string,
    Promise<{ ok: true; description: ModuleDescription } | { ok: false; reason: string }>
  >();
  for (const connector of Object.values(config.connectors)) {
    if (!connector.module) continue;
    const modulePath = connector.module.path;
    const file = connectorModuleFile(configFile, modulePath);
    if (!existsSync(file)) {
      problems.push({ connector: connector.name, reason: notFound(modulePath, file) });
      continue;
    }
    const key = `${file}\n${modulePath}`;
    let describing = described.get(key);
    if (!describing) described.set(key, (describing = describeModule(file, modulePath, cacheDir)));
    const result = await describing;
    if (!result.ok) {
      problems.push({ connector: connector.name, reason: result.reason });
      continue;
    }
    const found = findConnector(
      result.description.connectors,
      result.description.exportNames,
      connector.name,
      modulePath,
    );
    if (found.ok) inputs.set(connector.name, found.connector.input);
    else problems.push({ connector: connector.name, reason: found.reason });
  }
  return { inputs, problems };
}

/** One module's description: from the cache while its sources are unchanged, else by importing it. */
async function describeModule(
  file: string,
  modulePath: string,
  cacheDir: string | false,
): Promise<{ ok: true; description: ModuleDescription } | { ok: false; reason: string }> {
  const cacheFile = cacheDir === false ? undefined : path.join(cacheDir, `${sha256(file).slice(0, 24)}.json`);
  const cached = cacheFile === undefined ? undefined : readEntry(cacheFile, file);
  if (cached) return { ok: true, description: cached };
  const loaded = await importModule(file, modulePath);
  if (!loaded.ok) return loaded;
  const description: ModuleDescription = {
    exportNames: Object.keys(loaded.exports),
    connectors: definedConnectors(loaded.exports).map(({ exportName, name, value }) => ({
      exportName,
      name,
      input: inputJsonSchema(value.input),
    })),
  };
  if (cacheFile !== undefined) writeEntry(cacheFile, file, loaded.urls, description);
  return { ok: true, description };
}

/** The cached description of `file`, when every source it was made from still hashes the same. */
function readEntry(cacheFile: string, file: string): ModuleDescription | undefined {
  let entry: CacheEntry;
  try {
    entry = JSON.parse(readFileSync(cacheFile, 'utf8')) as CacheEntry;
  } catch {
    return undefined;
  }
  if (entry.format !== FORMAT || entry.module !== file || !Array.isArray(entry.sources)) return undefined;
  for (const source of entry.sources) if (hashFile(source.file) !== source.sha256) return undefined;
  return entry.description;
}

function writeEntry(cacheFile: string, file: string, urls: ReadonlySet<string>, description: ModuleDescription): void {
  const files = new Set<string>();
  for (const url of urls) {
    if (!url.startsWith('file:')) continue; // node: built-ins
    const loaded = fileURLToPath(url);
    // An installed package stands for its files by its package.json: a new version or a new install changes it.
    files.add(packageJsonOf(loaded) ?? loaded);
  }
  const lockfile = nearestUp(file, LOCKFILES);
  if (lockfile) files.add(lockfile);
  const sources: CacheEntry['sources'] = [];
  for (const source of [...files].sort()) {
    const hash = hashFile(source);
    if (hash === undefined) return; // a source that cannot be read again cannot vouch for the entry
    sources.push({ file: source, sha256: hash });
  }
  const entry: CacheEntry = { format: FORMAT, module: file, sources, description };
  // Without a writable cache the next run imports the module again: slower, never wrong.
  writeCacheFile(cacheFile, JSON.stringify(entry));
}

/** The `package.json` of the installed package a file belongs to (`node_modules/[@scope/]name/`), if it is one. */
function packageJsonOf(file: string): string | undefined {
  const parts = file.split(path.sep);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0 || at + 1 >= parts.length) return undefined;
  const root = parts.slice(0, at + (parts[at + 1]!.startsWith('@') ? 3 : 2));
  return [...root, 'package.json'].join(path.sep);
}

/** The nearest of `names` in the directory of `file` or above it. */
function nearestUp(file: string, names: readonly string[]): string | undefined {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    for (const name of names) {
      const candidate = path.join(dir, name);
      if (existsSync(candidate)) return candidate;
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

function hashFile(file: string): string | undefined {
  try {
    return sha256(readFileSync(file));
  } catch {
    return undefined;
  }
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
