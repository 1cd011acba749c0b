/**
 * The engine's one base error. Every error meant for people carries a stable `code` from this closed
 * set, so callers match codes (`hasErrorCode(err, 'CONFIG_INVALID')`), never message text. Imported by
 * workflows and rules too, so it stays pure.
 */
export type ErrorCode =
  // configuration and settings
  | 'CONFIG_INVALID'
  | 'CONFIG_VERSION_UNKNOWN'
  | 'SETTINGS_INVALID'
  | 'CONNECTOR_CONFIG_INVALID'
  // rules (evaluation of one event)
  | 'EXPRESSION_INVALID'
  | 'EXPRESSION_FAILED'
  | 'EXPRESSION_NOT_BOOLEAN'
  | 'EXPRESSION_NOT_JSON'
  | 'TEMPLATE_FAILED'
  | 'REDUCER_FAILED'
  | 'SIMULATION_FAILED'
  // delivery, client and ingest
  | 'ENTITY_ADDRESS_INVALID'
  | 'EVENT_REJECTED'
  | 'ENGINE_UNAVAILABLE'
  | 'ENTITY_NOT_RUNNING'
  | 'REVIVE_REFUSED'
  | 'CARRIED_STATE_INVALID'
  | 'ENTITY_TASK_FAILED'
  | 'HTTP_SEND_FAILED'
  | 'INGEST_SETUP'
  | 'KAFKA_SOURCE_FAILED'
  // running the engine locally
  | 'TEMPORAL_CLI_UNAVAILABLE'
  | 'TEMPORAL_UNREACHABLE'
  | 'DEV_SERVER_START_FAILED'
  | 'PORT_IN_USE'
  | 'KAFKA_BROKER_FAILED'
  | 'CLI_ERROR'
  // demo and sandbox
  | 'DEMO_FAILED'
  | 'DEMO_SECRETS_MISSING'
  | 'DEMO_SPEED_INVALID'
  | 'SANDBOX_BEHAVIOUR_INVALID'
  | 'SANDBOX_CONTROL_FAILED'
  // operator operations (issue 18)
  | 'REPLAY_INVALID'
  | 'CONNECTOR_PAUSED'
  | 'OPERATION_TARGET_UNKNOWN';

/** An error with a stable code and a message that says what was wrong, where, and what to do. */
export abstract class EngineError extends Error {
  abstract override readonly name: string;
  abstract readonly code: ErrorCode;
}

/** Whether `err` is an engine error with this code. */
export function hasErrorCode<C extends ErrorCode>(err: unknown, code: C): err is EngineError & { code: C } {
  return err instanceof EngineError && err.code === code;
}
