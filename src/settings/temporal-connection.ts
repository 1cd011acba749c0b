/**
 * Connections to Temporal from the settings: address, namespace, TLS (mTLS client certificate) and API
 * key (Temporal Cloud). An unreachable server becomes one clear, retryable error.
 */
import fs from 'node:fs/promises';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { Settings } from './settings.js';
import { EngineError } from '../contract/engine-error.js';

/** Temporal could not be reached: says where, from which setting, and what to check. Retryable. */
export class TemporalUnreachableError extends EngineError {
  override readonly name = 'TemporalUnreachableError';
  readonly code = 'TEMPORAL_UNREACHABLE';
  readonly retryable = true;
  constructor(address: string, fromSetting: boolean, cause: unknown) {
    super(
      `Cannot reach Temporal at ${address}${fromSetting ? ' (TEMPORAL_ADDRESS)' : ''}: ` +
        `${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}. ` +
        (fromSetting
          ? 'Check the address, TEMPORAL_TLS / TEMPORAL_API_KEY, and that the server is running; unset TEMPORAL_ADDRESS to use the embedded dev server.'
          : 'Is the embedded dev server running?'),
      { cause },
    );
  }
}

type TlsSettings = Pick<
  Settings,
  'TEMPORAL_TLS' | 'TEMPORAL_TLS_CERT_PATH' | 'TEMPORAL_TLS_KEY_PATH' | 'TEMPORAL_TLS_SERVER_NAME' | 'TEMPORAL_API_KEY'
>;

async function tlsOptions(settings: TlsSettings): Promise<ConnectionOptions['tls']> {
  const mtls = settings.TEMPORAL_TLS_CERT_PATH && settings.TEMPORAL_TLS_KEY_PATH;
  // An API key (Temporal Cloud) implies TLS.
  if (!settings.TEMPORAL_TLS && !mtls && !settings.TEMPORAL_API_KEY) return undefined;
  return {
    ...(settings.TEMPORAL_TLS_SERVER_NAME && { serverNameOverride: settings.TEMPORAL_TLS_SERVER_NAME }),
    ...(mtls && {
      clientCertPair: {
        crt: await fs.readFile(settings.TEMPORAL_TLS_CERT_PATH!),
        key: await fs.readFile(settings.TEMPORAL_TLS_KEY_PATH!),
      },
    }),
  };
}

/** Opens a client connection (for clients, ingest, CLI) and checks the server answers. */
export async function connectClient(
  settings: TlsSettings & Pick<Settings, 'temporalAddress' | 'embedded'>,
  connectTimeoutMs = 5_000,
): Promise<Connection> {
  const options: ConnectionOptions = {
    address: settings.temporalAddress,
    connectTimeout: connectTimeoutMs,
    ...(settings.TEMPORAL_API_KEY && { apiKey: settings.TEMPORAL_API_KEY }),
  };
  const tls = await tlsOptions(settings);
  if (tls) options.tls = tls;
  try {
    const connection = await Connection.connect(options);
    await connection.workflowService.getSystemInfo({});
    return connection;
  } catch (err) {
    throw new TemporalUnreachableError(settings.temporalAddress, !settings.embedded, err);
  }
}

/** Opens a worker connection. */
export async function connectWorker(
  settings: TlsSettings & Pick<Settings, 'temporalAddress' | 'embedded'>,
): Promise<NativeConnection> {
  const options: NativeConnectionOptions = {
    address: settings.temporalAddress,
    ...(settings.TEMPORAL_API_KEY && { apiKey: settings.TEMPORAL_API_KEY }),
  };
  const tls = await tlsOptions(settings);
  if (tls) options.tls = tls;
  try {
    return await NativeConnection.connect(options);
  } catch (err) {
    throw new TemporalUnreachableError(settings.temporalAddress, !settings.embedded, err);
  }
}
