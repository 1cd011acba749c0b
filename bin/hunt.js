#!/usr/bin/env node
// The installed `hunt` command: the bundled CLI in dist/ (`npm run build`, run by `npm install`); while the
// TypeScript sources are newer than that build, the sources themselves through tsx's loader, in this process.
// The short offline commands (validate, lint, graph, docs) run from the build's CommonJS bundle through a V8
// code cache (code-cache.js); options such as --version never name one, and skip loading it.
import { buildIsCurrent, root } from './build-state.js';

if (buildIsCurrent()) {
  const command = process.argv[2];
  const codeCache = command === undefined || command.startsWith('-') ? undefined : await import('./code-cache.js');
  const offline = codeCache?.offlineBundleFor(`${root}dist`, command);
  if (codeCache && offline) codeCache.runWithCodeCache(offline);
  else await import('../dist/src/cli-bundle/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
