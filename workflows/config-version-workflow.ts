/**
 * The durable record of one config version: a workflow `hunt.config/<version>` whose start input is the
 * compiled config. Every worker of a deployment can read any version from it (its history), whichever
 * process published it and after every process was replaced; it needs no store besides Temporal. It
 * stays open (a closed workflow is deleted after the namespace's retention) and does nothing: one
 * workflow task in its life, no timers, no history growth.
 */
import { condition } from '@temporalio/workflow';
import type { ConfigVersionInput } from '../src/contract/messages.js';

/** Holds a config version; never completes on its own (terminate it to retire the version). */
export async function configVersionWorkflow(_input: ConfigVersionInput): Promise<void> {
  await condition(() => false);
}
