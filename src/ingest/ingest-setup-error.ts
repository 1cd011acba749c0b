import { EngineError } from '../contract/engine-error.js';

/** The ingest API cannot start with this configuration or environment (missing secret, bad schema, …). */
export class IngestSetupError extends EngineError {
  override readonly name = 'IngestSetupError';
  readonly code = 'INGEST_SETUP';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
