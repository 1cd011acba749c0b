import { fileURLToPath } from 'node:url';

/** `.js` when this runs from the compiled build in dist/, `.ts` when from the TypeScript sources (tsx, tests). */
const extension = import.meta.url.endsWith('.js') ? '.js' : '.ts';

/** The workflow entry module, bundled by `npm run build` (or by the worker when run from sources). */
export const workflowsPath = fileURLToPath(new URL(`../../workflows/index${extension}`, import.meta.url));

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
  fileURLToPath(new URL(`../rules/entity-machine${extension}`, import.meta.url)),
];

/**
 * The workflow bundle `npm run build` writes beside the compiled code (dist/workflow-bundle.js), which a
 * compiled worker loads instead of bundling at start; none when running from the TypeScript sources.
 */
export const builtWorkflowBundlePath =
  extension === '.js' ? fileURLToPath(new URL('../../workflow-bundle.js', import.meta.url)) : undefined;
