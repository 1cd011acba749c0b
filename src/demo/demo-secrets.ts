/**
 * The signing secrets the demo needs, one per source it plays: from the environment first, else from
 * `<state dir>/dev-secrets.json`, which `npm start` writes with generated secrets on a developer machine.
 */
import { devSecretsFile, readDevSecrets } from '../dev/dev-secrets.js';
import { EngineError } from '../contract/engine-error.js';

/** Environment variables of the reference config's sources that the demo sends from. */
export const DEMO_SECRET_VARIABLES = {
  payments: 'PAYMENTS_WEBHOOK_SECRET',
  shop: 'SHOP_WEBHOOK_SECRET',
  scanners: 'SCANNER_API_KEY',
  game: 'GAME_SIGNING_SECRET',
} as const;

export type DemoSecrets = Record<keyof typeof DEMO_SECRET_VARIABLES, string>;

/** A secret the demo needs is nowhere to be found. */
export class DemoSecretsError extends EngineError {
  override readonly name = 'DemoSecretsError';
  readonly code = 'DEMO_SECRETS_MISSING';
}

/** Reads the demo's secrets; throws DemoSecretsError naming each missing variable and where it looked. */
export async function readDemoSecrets(stateDir: string, env: Record<string, string | undefined>): Promise<DemoSecrets> {
  const file = devSecretsFile(stateDir);
  const stored = await readDevSecrets(stateDir);
  const out: Partial<DemoSecrets> = {};
  const missing: string[] = [];
  for (const [source, variable] of Object.entries(DEMO_SECRET_VARIABLES) as Array<[keyof DemoSecrets, string]>) {
    const value = env[variable] || stored[variable];
    if (value) out[source] = value;
    else missing.push(variable);
  }
  if (missing.length > 0) {
    throw new DemoSecretsError(
      `no value for ${missing.join(', ')}: neither in the environment nor in ${file}. ` +
        'Start the engine with `npm start` first (it writes that file), pass --state-dir, or set the variables.',
    );
  }
  return out as DemoSecrets;
}
