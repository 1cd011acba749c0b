/**
 * The `hunt` command modules and the commands each one registers. The CLI loads only the module of the
 * command being run: the Temporal client alone takes most of a second to load, and `hunt validate` needs
 * none of it. test/cli/command-modules.test.ts checks this list against what the modules really register.
 */
import type { Command } from 'commander';

export interface CommandModule {
  /** The commands the module registers, in the order `hunt --help` lists them. */
  commands: readonly string[];
  load(): Promise<(program: Command) => void>;
  /** Its commands work offline over a file and finish in a fraction of a second (see `shortRunFlags`). */
  shortRun?: true;
}

export const commandModules: readonly CommandModule[] = [
  { commands: ['demo'], load: async () => (await import('./demo-commands.js')).registerDemoCommands },
  {
    commands: ['validate', 'lint', 'graph', 'docs'],
    load: async () => (await import('./config-commands.js')).registerConfigCommands,
    shortRun: true,
  },
  {
    commands: ['simulate', 'diff'],
    load: async () => (await import('./simulate-commands.js')).registerSimulateCommands,
  },
  {
    commands: ['sandbox', 'dead-letters', 'redrive'],
    load: async () => (await import('./connector-commands.js')).registerConnectorCommands,
  },
  {
    commands: ['types', 'send', 'inspect'],
    load: async () => (await import('./ingest-commands.js')).registerIngestCommands,
  },
  {
    commands: ['explain', 'migrate', 'revive'],
    load: async () => (await import('./entity-commands.js')).registerEntityCommands,
  },
  { commands: ['events'], load: async () => (await import('./events-commands.js')).registerEventsCommands },
  {
    commands: ['connectors', 'rules', 'replay', 'operations'],
    load: async () => (await import('./operations-commands.js')).registerOperationsCommands,
  },
];

/**
 * The modules to load for these arguments: the one holding the command; none for `--version`; all of them
 * otherwise (help, or a mistyped command that commander then suggests a correction for).
 */
export function modulesFor(args: readonly string[]): readonly CommandModule[] {
  const [first] = args;
  if (first === '--version' || first === '-V') return [];
  const owner = commandModules.find((m) => first !== undefined && m.commands.includes(first));
  return owner ? [owner] : commandModules;
}

/**
 * V8 flags for a run of the short commands only: V8 starts optimizing a function (TurboFan) after a budget of
 * bytecode run in it, and in a run this short that work never pays back — it was a quarter of `hunt
 * validate`'s CPU time (bench/cli-start.ts; docs/performance.md). A 16× budget keeps code that really runs
 * hot (a very large configuration) optimized, later. Long-running commands (servers, the demo) keep V8's
 * defaults.
 */
export function shortRunFlags(modules: readonly CommandModule[]): string | undefined {
  return modules.length > 0 && modules.every((m) => m.shortRun) ? '--interrupt-budget=1081344' : undefined;
}
