/**
 * Stubbed connector answers for the simulator (`hunt simulate --responses`, `hunt diff`): what a `call` with
 * `result` answers offline, so its result event, the reducers and rules it feeds and the actions after it can be
 * tried before anything is called. A connector without a stub answers `200` with no body.
 */
import type { Json } from '../config/compiled.js';
import type { CallFailureInfo, CallResponse } from './call-result.js';

/** One stubbed answer: a response (`status`, `headers`, `body`), or a final failure (`fail`: its message). */
export type StubbedAnswer =
  | { status?: number | undefined; headers?: Record<string, string> | undefined; body?: Json | undefined }
  | { fail: string; type?: string | undefined; status?: number | undefined; body?: Json | undefined }
  /** A started workflow (`workflow:<type>`) still running when the simulation ends: no outcome event. */
  | { pending: true };

/** Connector name → its answer, or a list of answers taken one per call (the last one repeats). */
export type StubbedResponses = Record<string, StubbedAnswer | StubbedAnswer[]>;

/** What a stubbed call gives: a response, or a failure (or, for a started workflow, no outcome yet). */
export type StubOutcome =
  { ok: true; response: CallResponse } | { ok: false; failure: CallFailureInfo } | { ok: 'pending' };

/** Hands out stubbed answers in call order per connector. */
export class CallStubs {
  private readonly calls = new Map<string, number>();

  constructor(private readonly responses: StubbedResponses = {}) {}

  /** The next answer of `connector`. */
  next(connector: string): StubOutcome {
    const count = this.calls.get(connector) ?? 0;
    this.calls.set(connector, count + 1);
    const stub = this.responses[connector];
    const answer: StubbedAnswer = (Array.isArray(stub) ? stub[Math.min(count, stub.length - 1)] : stub) ?? {};
    if ('pending' in answer) return { ok: 'pending' };
    if ('fail' in answer) {
      return {
        ok: false,
        failure: {
          type: answer.type ?? 'StubbedFailure',
          message: answer.fail,
          attempts: 1,
          ...(answer.status !== undefined && { status: answer.status }),
          ...(answer.body !== undefined && { body: JSON.stringify(answer.body) }),
        },
      };
    }
    return {
      ok: true,
      response: {
        status: answer.status ?? 200,
        headers: answer.headers ?? {},
        ...(answer.body !== undefined && { value: answer.body }),
        bodyTruncated: false,
        durationMs: 0,
        attempt: 1,
      },
    };
  }
}
