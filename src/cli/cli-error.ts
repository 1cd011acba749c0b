import type { Command } from 'commander';
import { EngineError } from '../contract/engine-error.js';

/** An error meant for the person at the terminal: printed without a stack, with an exit code. */
export class CliError extends EngineError {
  override readonly name = 'CliError';
  readonly code = 'CLI_ERROR';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Parses argv and runs the matching command. */
export async function runCli(program: Command, argv: string[] = process.argv): Promise<void> {
  await program.parseAsync(argv);
}
