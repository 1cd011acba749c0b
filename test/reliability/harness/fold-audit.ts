/**
 * The end-of-scenario check for entities: each entity's state equals the simulator's fold of the events in
 * its event log, and no entity's workflow failed, was terminated or closed. With the log audit (each
 * acknowledged event in the log exactly once) this proves state = fold of the acknowledged events.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Client } from '@temporalio/client';
import type { CompiledConfig } from '../../../src/config/compiled.js';
import { simulate } from '../../../src/rules/simulate.js';
import type { EngineEvent } from '../../../src/rules/types.js';
import type { EntityLog } from './entity-history.js';
import { entityViews } from './entity-progress.js';

export interface FoldAudit {
  entities: number;
  /** Entities whose state equals the fold of their logged events. */
  statesEqual: number;
  /** Entities whose state differs, with both. */
  differing: Array<{ workflowId: string; state: unknown; fold: unknown }>;
  /** Entities whose latest run is not running (failed, terminated, …), with its status. */
  notRunning: Array<{ workflowId: string; status: string }>;
}

/** Folds each log's events (in log order) through `config` and compares with the entities' live state. */
export async function auditFolds(
  client: Client,
  config: CompiledConfig,
  logs: EntityLog[],
  sent: Map<string, EngineEvent>,
): Promise<FoldAudit> {
  const ordered = logs.flatMap((log) => log.events.map((e) => sent.get(e.eventId)).filter((e) => e !== undefined));
  const folded = simulate(config, ordered).entities;
  const ids = logs.map((log) => log.workflowId);
  const views = await entityViews(client, ids);
  const differing: FoldAudit['differing'] = [];
  for (const id of ids) {
    const state = views.get(id)?.state;
    const fold = folded[id]?.state;
    if (!isDeepStrictEqual(state, fold)) differing.push({ workflowId: id, state, fold });
  }
  const statuses = await Promise.all(
    ids.map(async (id) => (await client.workflow.getHandle(id).describe()).status.name),
  );
  const notRunning = ids
    .map((workflowId, i) => ({ workflowId, status: statuses[i]! }))
    .filter(({ status }) => status !== 'RUNNING');
  return { entities: ids.length, statesEqual: ids.length - differing.length, differing, notRunning };
}
