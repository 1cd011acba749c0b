#!/usr/bin/env node
// The installed `hunt` command: loads the TypeScript CLI through tsx's loader, in this process.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
