#!/usr/bin/env node
/** The `hunt` command: validate, draw, explain and run the event configuration. */
import { Command } from 'commander';
import { CliError, runCli } from './cli-error.js';
// command registrations (one import and one call per command module):
import { registerDemoCommands } from './demo-commands.js';
import { registerConfigCommands } from './config-commands.js';
import { registerSimulateCommands } from './simulate-commands.js';
import { registerConnectorCommands } from './connector-commands.js';
import { registerIngestCommands } from './ingest-commands.js';
import { registerEntityCommands } from './entity-commands.js';
import { registerEventsCommands } from './events-commands.js';

const program = new Command('hunt')
  .description('Treasure Hunt Engine: declarative event configuration, run durably on Temporal')
  .showHelpAfterError();

// registerXCommands(program);
registerDemoCommands(program);
registerConfigCommands(program);
registerSimulateCommands(program);
registerConnectorCommands(program);
registerIngestCommands(program);
registerEntityCommands(program);
registerEventsCommands(program);

runCli(program).catch((err: unknown) => {
  process.stderr.write(`${err instanceof CliError ? err.message : String(err)}\n`);
  process.exit(err instanceof CliError ? err.exitCode : 1);
});
