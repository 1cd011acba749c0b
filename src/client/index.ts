/** The client SDK: publish events to the engine from code, directly through Temporal or over HTTP. */
export { createEngineClient } from './engine-client.js';
export { EntityAddressError } from '../contract/entity-address.js';
export { EngineError, hasErrorCode, type ErrorCode } from '../contract/engine-error.js';
export type { ProblemCode } from '../contract/problems.js';
export type { EngineClient, EngineClientOptions, EntityInput } from './engine-client.js';
export { createHttpSender, HttpSendError } from './http-sender.js';
export type { HttpSender, HttpSenderOptions, HttpSendResult, SenderEvent } from './http-sender.js';
export { EntityDelivery } from './delivery.js';
export type { DeliveryOptions, DeliveryStats, EventDeliverer, SendReceipt } from './delivery.js';
export { EngineUnavailableError, asEngineUnavailable } from './engine-unavailable-error.js';
export { EventRejectedError } from './event-rejected-error.js';
export { migrateEntity, isUpdateAbortedByTaskFailure } from './migrate-entity.js';
export type { EventProblem } from './event-rejected-error.js';
export type { AnyEventInput, EventInput, EventMap } from './event-input.js';
export { emitEventTypes } from './event-types-emitter.js';
export type { DecisionTrace, DeliveryResult, EngineEvent, EntityRef } from '../rules/types.js';
export type { EntityView } from '../contract/messages.js';
export {
  ConnectorFailure,
  defineConnector,
  failureFromStatus,
  isConnectorFailure,
  isDefinedConnector,
  nonRetryable,
  retryable,
  retryAfter,
} from '../sdk/define-connector.js';
export type { ConnectorContext, ConnectorDefinition, DefinedConnector } from '../sdk/define-connector.js';
export type { Json, JsonObject } from '../config/compiled.js';
