/** A configuration file loaded for a CLI command: an invalid one is a CliError listing every problem. */
import { ConfigError, formatProblems, loadCompiledConfig } from '../config/index.js';
import type { CompiledConfig } from '../config/compiled.js';
import { CliError } from './cli-error.js';

export async function loadConfig(file: string): Promise<CompiledConfig> {
  try {
    return await loadCompiledConfig(file);
  } catch (err) {
    if (err instanceof ConfigError)
      throw new CliError(`${file} is not a valid configuration:\n${formatProblems(err.problems)}`);
    throw err;
  }
}
