#!/usr/bin/env node
// The installed `hunt` command: the bundled CLI in dist/ (`npm run build`, run by `npm install`); while the
// TypeScript sources are newer than that build, the sources themselves through tsx's loader, in this process.
// The short offline commands (validate, lint, graph, docs) run from the build's CommonJS bundle through a V8
// code cache (code-cache.js).
import { buildIsCurrent, root } from './build-state.js';
import { offlineBundleFor, runWithCodeCache } from './code-cache.js';

if (buildIsCurrent()) {
  const offline = offlineBundleFor(`${root}dist`, process.argv[2]);
  if (offline) runWithCodeCache(offline);
  else await import('../dist/src/cli-bundle/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
