/** Waiting for many entities at once: each entity's state, read by query, in bounded parallel. */
import type { Client } from '@temporalio/client';
import { stateQuery, type EntityView } from '../../../src/contract/messages.js';

/** Queries the state of every entity (undefined where the query failed, e.g. the workflow is not there yet). */
export async function entityViews(
  client: Client,
  workflowIds: string[],
  parallel = 20,
): Promise<Map<string, EntityView | undefined>> {
  const views = new Map<string, EntityView | undefined>();
  for (let i = 0; i < workflowIds.length; i += parallel) {
    const chunk = workflowIds.slice(i, i + parallel);
    const answers = await Promise.all(
      chunk.map((id) =>
        client.workflow
          .getHandle(id)
          .query(stateQuery)
          .catch(() => undefined),
      ),
    );
    chunk.forEach((id, j) => views.set(id, answers[j]));
  }
  return views;
}

/** Entities whose accepted event count is not `expected` yet, with what they have. */
export async function entitiesBehind(
  client: Client,
  expected: Map<string, number>,
): Promise<Array<{ workflowId: string; eventCount: number | undefined }>> {
  const views = await entityViews(client, [...expected.keys()]);
  return [...expected]
    .filter(([id, count]) => views.get(id)?.eventCount !== count)
    .map(([workflowId]) => ({ workflowId, eventCount: views.get(workflowId)?.eventCount }));
}
