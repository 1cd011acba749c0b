/** Temporal access for CLI commands: the same settings and connection as the engine, errors for people. */
import { Client } from '@temporalio/client';
import { loadSettings, SettingsError, type Settings } from '../settings/settings.js';
import { connectClient, TemporalUnreachableError } from '../settings/temporal-connection.js';
import { CliError } from './cli-error.js';

/** The engine's settings as a CLI command reads them (config file, task queue, Temporal), errors for people. */
export function cliSettings(): Settings {
  try {
    return loadSettings(process.env);
  } catch (err) {
    if (err instanceof SettingsError) throw new CliError(err.message);
    throw err;
  }
}

/** Runs `fn` with a client connected per TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE (default: the embedded server). */
export async function withTemporalClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const settings = cliSettings();
  let connection;
  try {
    connection = await connectClient(settings);
  } catch (err) {
    if (err instanceof TemporalUnreachableError) {
      throw new CliError(`${err.message}${settings.embedded ? ' Start the engine with `npm start`.' : ''}`);
    }
    throw err;
  }
  try {
    return await fn(new Client({ connection, namespace: settings.TEMPORAL_NAMESPACE }));
  } finally {
    await connection.close();
  }
}
