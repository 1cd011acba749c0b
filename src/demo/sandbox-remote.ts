/** The demo's view of the running sandbox partner systems over HTTP: recorded requests and failures on command. */
import type { RecordedRequest } from '../sandbox/sandbox-server.js';
import { EngineError } from '../contract/engine-error.js';

export interface SandboxRemote {
  readonly url: string;
  /** Every request the sandbox recorded so far, oldest first. */
  requests(): Promise<RecordedRequest[]>;
  /** Sends a behaviour phrase, e.g. `fail first 2`, to one system. */
  control(system: string, behaviour: string): Promise<void>;
}

/** The sandbox answered a control command with an error. */
export class SandboxControlError extends EngineError {
  override readonly name = 'SandboxControlError';
  readonly code = 'SANDBOX_CONTROL_FAILED';
}

/** A client for the sandbox at `url` (e.g. `http://127.0.0.1:3100`). */
export function sandboxRemote(url: string, doFetch: typeof fetch = fetch): SandboxRemote {
  const base = url.replace(/\/+$/, '');
  return {
    url: base,
    requests: async () => {
      const response = await doFetch(`${base}/_requests`);
      if (!response.ok) throw new SandboxControlError(`GET ${base}/_requests answered ${response.status}`);
      return (await response.json()) as RecordedRequest[];
    },
    control: async (system, behaviour) => {
      const response = await doFetch(`${base}/_control`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ system, behaviour }),
      });
      if (!response.ok)
        throw new SandboxControlError(`sandbox refused "${behaviour}" for ${system}: ${await response.text()}`);
    },
  };
}
