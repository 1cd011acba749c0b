/**
 * The live map's numbers: events in (ingest metrics), entities and the rules that fired in them
 * (Temporal visibility: `HuntRulesFired`, `HuntEntityType`, `HuntDeadLetters`), and connector call
 * attempts (the engine counters of this process). One snapshot per call; the route caches it briefly.
 */
import type { Client } from '@temporalio/client';
import type { CompiledConfig } from '../config/compiled.js';
import { nodeId } from '../config/graph.js';
import type { IngestMetrics } from '../ingest/ingest-metrics.js';
import { connectorCallCounts } from '../metrics/engine-metrics.js';
import { kafkaSourceCounts } from '../ingest/kafka/kafka-metrics.js';
import { pauseSnapshot } from '../operations/pauses.js';
import { listOperations, type OperationRecord } from '../operations/operations-list.js';

/** How many recent operations the live map lists. */
export const LIVE_MAP_OPERATIONS = 10;

/** One node's overlay: the number and the words shown beside it. */
export interface NodeCount {
  count: number;
  label: string;
  /** Something needs a look (failed calls, dead letters). */
  alert?: boolean;
}

export interface LiveCounts {
  config: { name: string; version: string; demoSpeed?: number };
  /** ISO time of the snapshot. */
  at: string;
  totals: {
    /** Events the ingest API accepted (duplicates and rejections not counted). */
    eventsIn: number;
    /** Entity × rule pairs where the rule fired at least once; null when Temporal could not be asked. */
    rulesFired: number | null;
    /** Connector call attempts made by this process. */
    callsOk: number;
    callsFailed: number;
    /** Entities holding dead letters not redriven yet; null when Temporal could not be asked. */
    deadLetters: number | null;
    entities: number | null;
    /** Connectors and rules paused now; absent when Temporal could not be asked. */
    paused?: { connectors: string[]; rules: string[] };
  };
  /** Keyed by graph node id (`event:payment.succeeded`, `rule:pay-winner`, …). */
  nodes: Record<string, NodeCount>;
  /** Recent operations (replays, bulk redrives, pauses), newest first; absent when Temporal could not be asked. */
  operations?: OperationRecord[];
  /** `ok`, or why visibility counts are missing. */
  temporal: string;
}

export interface LiveCountsDeps {
  config: CompiledConfig;
  metrics: IngestMetrics;
  client?: Client;
  /** The deployment's task queue: only operations run on it are listed (others share the namespace). */
  taskQueue?: string;
}

/** Escapes a value for a double-quoted string in a Temporal visibility query. */
export function visibilityString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The visibility query for the entities where a rule fired, e.g. `HuntRulesFired = "pay-winner"`. */
export function ruleFiredQuery(ruleId: string): string {
  return `HuntRulesFired = ${visibilityString(ruleId)}`;
}

/** Takes one snapshot of every count the live map shows. */
export async function collectLiveCounts(deps: LiveCountsDeps): Promise<LiveCounts> {
  const { config, metrics, client } = deps;
  const nodes: Record<string, NodeCount> = {};

  const eventsIn = new Map<string, number>();
  for (const { labels, value } of (await metrics.events.get()).values) {
    if (labels.outcome !== 'accepted') continue;
    const type = String(labels.type);
    eventsIn.set(type, (eventsIn.get(type) ?? 0) + value);
  }
  for (const [type, count] of eventsIn) {
    if (config.events[type]) nodes[nodeId('event', type)] = { count, label: `${count} in` };
  }
  const bySource = new Map<string, number>();
  for (const { labels, value } of (await metrics.requests.get()).values) {
    if (labels.route !== '/events' || !String(labels.status).startsWith('2')) continue;
    const source = String(labels.source);
    bySource.set(source, (bySource.get(source) ?? 0) + value);
  }
  for (const [source, count] of bySource) {
    if (config.sources[source]) nodes[nodeId('source', source)] = { count, label: `${count} sent` };
  }

  // Kafka sources: records delivered from their topics, with lag, poison records and paused partitions.
  for (const [source, kafka] of Object.entries(await kafkaSourceCounts())) {
    if (!config.sources[source]) continue;
    const extra = [
      `lag ${kafka.lag}`,
      kafka.poison > 0 && `${kafka.poison} poison`,
      kafka.paused > 0 && `${kafka.paused} paused`,
    ];
    nodes[nodeId('source', source)] = {
      count: kafka.delivered,
      label: [`${kafka.delivered} from Kafka`, ...extra.filter(Boolean)].join(' · '),
      ...((kafka.paused > 0 || kafka.poison > 0) && { alert: true }),
    };
  }

  let callsOk = 0;
  let callsFailed = 0;
  for (const [connector, { ok, failed }] of Object.entries(await connectorCallCounts())) {
    callsOk += ok;
    callsFailed += failed;
    if (!config.connectors[connector]) continue;
    nodes[nodeId('connector', connector)] = {
      count: ok + failed,
      label: failed > 0 ? `${ok} ok · ${failed} failed` : `${ok} ok`,
      ...(failed > 0 && { alert: true }),
    };
  }

  const totals: LiveCounts['totals'] = {
    eventsIn: [...eventsIn.values()].reduce((a, b) => a + b, 0),
    rulesFired: null,
    callsOk,
    callsFailed,
    deadLetters: null,
    entities: null,
  };
  let temporal = 'no Temporal client configured';
  let operations: OperationRecord[] | undefined;
  if (client) {
    try {
      const count = async (query: string) => Number((await client.workflow.count(query)).count);
      const rules = await Promise.all(
        config.rules.map(async (rule) => [rule.id, await count(ruleFiredQuery(rule.id))] as const),
      );
      const entities = await Promise.all(
        Object.keys(config.entities).map(async (name) => {
          const type = `HuntEntityType = ${visibilityString(name)}`;
          return [name, await count(type), await count(`${type} AND HuntDeadLetters > 0`)] as const;
        }),
      );
      for (const [id, fired] of rules) {
        if (fired > 0) nodes[nodeId('rule', id)] = { count: fired, label: `fired in ${fired}` };
      }
      for (const [name, total, withDeadLetters] of entities) {
        if (total === 0) continue;
        const dead = withDeadLetters > 0 ? ` · ${withDeadLetters} with dead letters` : '';
        nodes[nodeId('entity', name)] = {
          count: total,
          label: `${total}${dead}`,
          ...(withDeadLetters > 0 && { alert: true }),
        };
      }
      // Pauses and their backlog, replays per rule (issue 18).
      const pauses = await pauseSnapshot(client, config);
      for (const [name, { paused, waitingEntities }] of Object.entries(pauses.connectors)) {
        const id = nodeId('connector', name);
        const waiting = waitingEntities > 0 ? ` · ${waitingEntities} entities waiting` : '';
        const calls = nodes[id]?.label;
        nodes[id] = {
          count: nodes[id]?.count ?? 0,
          label: `${paused ? 'paused' : 'resuming'}${waiting}${calls !== undefined ? ` · ${calls}` : ''}`,
          alert: true,
        };
      }
      const replays = await Promise.all(
        config.rules.map(
          async (rule) => [rule.id, await count(`HuntOperation = "replay" AND ${ruleFiredQuery(rule.id)}`)] as const,
        ),
      );
      for (const [id, replayed] of replays) {
        if (replayed === 0) continue;
        const node = nodes[nodeId('rule', id)];
        nodes[nodeId('rule', id)] = {
          count: node?.count ?? 0,
          label: `${node?.label !== undefined ? `${node.label} · ` : ''}replayed ${replayed}`,
        };
      }
      for (const id of pauses.rules) {
        const node = nodes[nodeId('rule', id)];
        nodes[nodeId('rule', id)] = {
          count: node?.count ?? 0,
          label: `paused${node?.label !== undefined ? ` · ${node.label}` : ''}`,
          alert: true,
        };
      }
      // Operations under way: a redrive's progress on its connector, a replay on its rules (issue 18).
      operations = await listOperations(client, {
        limit: LIVE_MAP_OPERATIONS,
        scan: 500,
        ...(deps.taskQueue !== undefined && { taskQueue: deps.taskQueue }),
      });
      for (const op of operations) {
        if (op.status !== 'running') continue;
        const ids =
          op.kind === 'redrive' && op.filters?.connector !== undefined && config.connectors[op.filters.connector]
            ? [nodeId('connector', op.filters.connector)]
            : op.kind === 'replay'
              ? op.target
                  .split(',')
                  .filter((rule) => config.rules.some((r) => r.id === rule))
                  .map((rule) => nodeId('rule', rule))
              : [];
        const words =
          op.kind === 'redrive' && op.counts && 'planned' in op.counts
            ? `redriving ${op.counts.done}/${op.counts.planned}`
            : 'replay running';
        for (const id of ids) {
          const node = nodes[id];
          nodes[id] = {
            ...(node ?? { count: 0 }),
            label: `${node?.label !== undefined ? `${node.label} · ` : ''}${words}`,
          };
        }
      }
      totals.paused = {
        connectors: Object.keys(pauses.connectors).filter((n) => pauses.connectors[n]!.paused),
        rules: pauses.rules,
      };
      totals.rulesFired = rules.reduce((sum, [, fired]) => sum + fired, 0);
      totals.entities = entities.reduce((sum, [, total]) => sum + total, 0);
      totals.deadLetters = entities.reduce((sum, [, , dead]) => sum + dead, 0);
      temporal = 'ok';
    } catch (err) {
      temporal = `visibility unavailable: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  return {
    config: {
      name: config.name,
      version: config.version,
      ...(config.demoSpeed !== undefined && { demoSpeed: config.demoSpeed }),
    },
    at: new Date().toISOString(),
    totals,
    nodes,
    ...(operations !== undefined && { operations }),
    temporal,
  };
}
