/**
 * Workflow interceptor module bundled into both the engine's and the baselines' bench workers. After a
 * signal's handler ran it reports the signal's event ids through a sink, so the bench sees when events
 * were processed without changing either workflow. Sink calls leave the workflow when the activation
 * completes, and are skipped on replay.
 */
import { proxySinks, workflowInfo } from '@temporalio/workflow';
import type {
  Next,
  SignalInput,
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptorsFactory,
} from '@temporalio/workflow';
import type { ProcessedSinks } from './processed-sinks.js';

const { probe } = proxySinks<ProcessedSinks>();

class ProcessedProbe implements WorkflowInboundCallsInterceptor {
  async handleSignal(input: SignalInput, next: Next<WorkflowInboundCallsInterceptor, 'handleSignal'>): Promise<void> {
    await next(input);
    const batch = input.args[0] as { events?: Array<{ id?: unknown }> } | undefined;
    const ids = (batch?.events ?? []).map((event) => String(event.id));
    probe.processed(ids, workflowInfo().historyLength);
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [new ProcessedProbe()] });
