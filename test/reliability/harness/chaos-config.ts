/** The reliability suite's configuration (test/reliability/fixtures/chaos-hunt.yaml), compiled. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CompiledConfig } from '../../../src/config/compiled.js';
import { compileConfigText } from '../../../src/config/index.js';

/** Absolute path of the reliability configuration. */
export const chaosConfigPath = fileURLToPath(new URL('../fixtures/chaos-hunt.yaml', import.meta.url));

/** Compiles the reliability configuration; throws with the problems if it does not compile. */
export function chaosConfig(): CompiledConfig {
  const result = compileConfigText(readFileSync(chaosConfigPath, 'utf8'), chaosConfigPath);
  if (!result.ok) throw new Error(`chaos-hunt.yaml does not compile: ${JSON.stringify(result.problems)}`);
  return result.config;
}
