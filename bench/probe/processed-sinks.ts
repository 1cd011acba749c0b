/**
 * The sink through which bench workflows report what they processed: shared by the workflow-side
 * probe (bundled into engine and baseline workflows alike) and the worker that injects it.
 */
import type { Sinks } from '@temporalio/workflow';

export interface ProcessedSinks extends Sinks {
  probe: {
    /** One signal was handled: the event ids it carried and the run's history length at that point. */
    processed(eventIds: string[], historyLength: number): void;
  };
}
