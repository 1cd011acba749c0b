/**
 * Loads the TypeScript connectors a configuration names (`connectors.<name>.module`), for the worker (which runs
 * them) and for `hunt validate` (which checks them). A module is a path relative to the configuration file; it is
 * imported with tsx's `tsImport`, which compiles TypeScript on the fly (esbuild underneath) in an isolated
 * namespace, so it works the same from the compiled worker in dist/ and from the sources under tsx, without
 * registering a loader for the rest of the process. The module must export a `defineConnector` value whose
 * `name` is the connector's.
 */
import { existsSync } from 'node:fs';
import type * as TsxApi from 'tsx/esm/api';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isDefinedConnector, type DefinedConnector } from '../sdk/define-connector.js';
import type { CompiledConfig } from './compiled.js';

export type ConnectorModuleLoad =
  { ok: true; connector: DefinedConnector; file: string } | { ok: false; reason: string };

// One import per file per process: configs are compiled often (validate, lint, the worker), modules change rarely.
const imported = new Map<string, { exports: Promise<Record<string, unknown>>; urls: Set<string> }>();

/**
 * `import()` as this process can do it. The offline commands run from a V8 code cache (bin/code-cache.js), and a
 * script read back from a code cache cannot `import()` (tsx's CommonJS API does not load on Node 20 either): the
 * runner lends its own `import` under this symbol.
 */
function dynamicImport(specifier: string): Promise<unknown> {
  const lent = (globalThis as Record<symbol, unknown>)[Symbol.for('treasure-hunt.import')];
  return typeof lent === 'function' ? (lent as (s: string) => Promise<unknown>)(specifier) : import(specifier);
}

/** The absolute file of a connector module written relative to the configuration file. */
export function connectorModuleFile(configFile: string, modulePath: string): string {
  return path.resolve(path.dirname(path.resolve(configFile)), modulePath);
}

/** Loads one connector's module and finds its `defineConnector` export; never throws. */
export async function loadConnectorModule(
  configFile: string,
  connectorName: string,
  modulePath: string,
): Promise<ConnectorModuleLoad> {
  const file = connectorModuleFile(configFile, modulePath);
  if (!existsSync(file)) return { ok: false, reason: notFound(modulePath, file) };
  const loaded = await importModule(file, modulePath);
  if (!loaded.ok) return loaded;
  const found = findConnector(
    definedConnectors(loaded.exports),
    Object.keys(loaded.exports),
    connectorName,
    modulePath,
  );
  return found.ok ? { ok: true, connector: found.connector.value, file } : found;
}

/** A module imported once per process, with every file URL its import loaded (for the description cache). */
export async function importModule(
  file: string,
  modulePath: string,
): Promise<{ ok: true; exports: Record<string, unknown>; urls: ReadonlySet<string> } | { ok: false; reason: string }> {
  let entry = imported.get(file);
  if (!entry) {
    const urls = new Set<string>([pathToFileURL(file).href]);
    const exports = (async () => {
      const { tsImport } = (await dynamicImport('tsx/esm/api')) as typeof TsxApi;
      const options = { parentURL: import.meta.url, onImport: (url: string) => void urls.add(url) };
      return (await tsImport(pathToFileURL(file).href, options)) as Record<string, unknown>;
    })();
    entry = { exports, urls };
    imported.set(file, entry);
    void exports.catch(() => imported.delete(file));
  }
  try {
    return { ok: true, exports: await entry.exports, urls: entry.urls };
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return { ok: false, reason: `module ${modulePath} cannot be loaded: ${reason}` };
  }
}

/** Why a module that is not there cannot be loaded (the same text from the loader and from a description). */
export function notFound(modulePath: string, file: string): string {
  return `module ${modulePath} not found (looked for ${file})`;
}

/** A module's `defineConnector` exports, by export name. */
export function definedConnectors(
  exports: Record<string, unknown>,
): Array<{ exportName: string; name: string; value: DefinedConnector }> {
  return Object.entries(exports)
    .filter((entry): entry is [string, DefinedConnector] => isDefinedConnector(entry[1]))
    .map(([exportName, value]) => ({ exportName, name: value.name, value }));
}

/**
 * The export of a module that defines `connectorName`, or why there is none. Works on a loaded module and on a
 * cached description of one alike, so `hunt validate` says the same either way.
 */
export function findConnector<T extends { exportName: string; name: string }>(
  defined: readonly T[],
  exportNames: readonly string[],
  connectorName: string,
  modulePath: string,
): { ok: true; connector: T } | { ok: false; reason: string } {
  const match = defined.find((connector) => connector.name === connectorName);
  if (match) return { ok: true, connector: match };
  if (defined.length > 0) {
    const names = defined.map((c) => `"${c.name}" (export ${c.exportName})`).join(', ');
    return {
      ok: false,
      reason: `module ${modulePath} exports no defineConnector named "${connectorName}", only ${names}: rename one or the connector`,
    };
  }
  return {
    ok: false,
    reason:
      `module ${modulePath} exports no defineConnector({ name: "${connectorName}", … })` +
      (exportNames.length > 0 ? ` (its exports: ${exportNames.join(', ')})` : ' (it exports nothing)'),
  };
}

/** A configuration's TypeScript connectors by name, as the worker runs them. */
export type ConnectorModules = ReadonlyMap<string, DefinedConnector>;

/** Loads every TypeScript connector of a configuration; `problems` lists those that failed, by connector. */
export async function loadConnectorModules(
  config: CompiledConfig,
  configFile: string,
): Promise<{ modules: Map<string, DefinedConnector>; problems: Array<{ connector: string; reason: string }> }> {
  const modules = new Map<string, DefinedConnector>();
  const problems: Array<{ connector: string; reason: string }> = [];
  for (const connector of Object.values(config.connectors)) {
    if (!connector.module) continue;
    const loaded = await loadConnectorModule(configFile, connector.name, connector.module.path);
    if (loaded.ok) modules.set(connector.name, loaded.connector);
    else problems.push({ connector: connector.name, reason: loaded.reason });
  }
  return { modules, problems };
}
