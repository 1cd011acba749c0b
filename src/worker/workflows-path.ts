import { fileURLToPath } from 'node:url';

/** The workflow entry module, bundled by the worker (tests prebundle it once per run). */
export const workflowsPath = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

/**
 * Modules every bundle preloads into the worker thread's shared V8 context (Temporal's
 * `preloadModules`, with the default `reuseV8Context`): loaded once and deep-frozen, instead of once per
 * workflow. The rules are pure — no clock, randomness, I/O or per-entity module state (their only module
 * state is memoised parses of CEL and template text, the same for every entity) — so every entity can
 * share them: the CEL environment alone cost each cached entity tens of kilobytes and each new entity
 * its setup time.
 */
export const workflowPreloadModules = [
  '@marcbachmann/cel-js',
  fileURLToPath(new URL('../rules/entity-machine.ts', import.meta.url)),
];
