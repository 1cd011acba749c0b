#!/usr/bin/env node
/** The `hunt` command: validate, draw, explain and run the event configuration. */
import { existsSync, readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { Command } from 'commander';
import { EngineError } from '../contract/engine-error.js';
import { CliError, runCli } from './cli-error.js';
import { modulesFor, shortRunFlags } from './command-modules.js';

/** The engine's version, from the first package.json above this module (src/cli/ or a build's src/cli/). */
function engineVersion(): string {
  for (let dir = new URL('.', import.meta.url); dir.pathname !== '/'; dir = new URL('..', dir)) {
    const packageJson = new URL('package.json', dir);
    if (existsSync(packageJson)) return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

async function main(): Promise<void> {
  const program = new Command('hunt')
    .description('Treasure Hunt Engine: declarative event configuration, run durably on Temporal')
    .version(engineVersion(), '-V, --version', 'print the engine version')
    .showHelpAfterError();
  const modules = modulesFor(process.argv.slice(2));
  const flags = shortRunFlags(modules);
  if (flags !== undefined) setFlagsFromString(flags);
  for (const module of modules) (await module.load())(program);
  await runCli(program);
}

main().catch((err: unknown) => {
  // Engine errors carry a message written for people: print it alone, without a stack.
  process.stderr.write(`${err instanceof EngineError ? err.message : String(err)}\n`);
  process.exit(err instanceof CliError ? err.exitCode : 1);
});
