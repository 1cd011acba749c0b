/**
 * What a webhook preset is: how a sender signs (a verifier built once per source at startup), where
 * its event id, native type, time and subject are by default (CEL over headers, body, query, digest),
 * and what it must be answered before any mapping (GitHub's ping, Slack's url_verification).
 */
import type { CompiledWebhook, Json, WebhookPresetName } from '../../config/compiled.js';
import type { Verification } from './hmac-signature.js';
import type { NativeRequest } from './native-request.js';

/** Default CEL expressions of a preset; a source's `webhook` may override each. */
export interface PresetDefaults {
  id: string;
  type: string;
  time?: string;
  subject?: string;
}

export interface VerifierSettings {
  source: string;
  webhook: CompiledWebhook;
  /** The source's secrets (rotation: any one of them may have signed). */
  secrets: string[];
  toleranceMs: number;
  now: () => number;
}

export type RequestVerifier = (request: NativeRequest, body: Json) => Verification;

/** An answer sent instead of mapping the request to an event (still only after verification). */
export interface PresetAnswer {
  status: number;
  body: unknown;
  contentType?: string;
  /** Why, for the log line and docs. */
  reason: string;
}

export interface WebhookPreset {
  name: WebhookPresetName;
  /** One line for docs: who sends this way. */
  summary: string;
  /** Headers the sender signs with (docs, OpenAPI). */
  signatureHeaders: string[];
  defaults: PresetDefaults;
  /** True when the verifier needs the parsed body (Twilio signs form fields, not bytes). */
  verifiesParsedBody?: boolean;
  /** Builds the source's verifier; throws IngestSetupError for settings it cannot use. */
  verifier(settings: VerifierSettings): RequestVerifier;
  /** An answer the sender expects instead of an event (after verification), or undefined. */
  answer?(request: NativeRequest, body: Json): PresetAnswer | undefined;
}

export const DEFAULT_TOLERANCE_MS = 5 * 60_000;
