#!/usr/bin/env node
// The installed `hunt` command: the bundled CLI in dist/ (`npm run build`, run by `npm install`); while the
// TypeScript sources are newer than that build, the sources themselves through tsx's loader, in this process.
import { buildIsCurrent } from './build-state.js';

if (buildIsCurrent()) {
  await import('../dist/src/cli-bundle/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
