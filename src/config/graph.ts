/**
 * The configuration as a graph: sources → events → rules → connectors, with emitted events fed
 * back in and entities as the things events fold into. Drawn by `hunt graph`, reused by the live map.
 */
import type { CompiledConfig, CompiledRule } from './compiled.js';
import { resultEventTypes } from './compiler.js';
import { joinLeaves } from './join-expression.js';
import { reachesOf, reachesSeveral, ruleEntity } from '../rules/event-reach.js';
import { cancellers } from '../rules/timing-behaviours.js';

export type GraphNodeKind = 'source' | 'event' | 'rule' | 'connector' | 'entity';

export interface GraphNode {
  /** Unique across kinds: `<kind>:<name>`. */
  id: string;
  kind: GraphNodeKind;
  label: string;
}

export interface GraphEdge {
  from: string;
  to: string;
  label?: string;
}

export interface ConfigGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** Node id of a named thing, e.g. `event:checkpoint.scanned`. */
export function nodeId(kind: GraphNodeKind, name: string): string {
  return `${kind}:${name}`;
}

/** Builds the graph of a compiled configuration (deterministic order: config order). */
export function buildGraph(config: CompiledConfig): ConfigGraph {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const seenEdges = new Set<string>();
  const edge = (from: string, to: string, label?: string): void => {
    const key = `${from}\u0000${to}\u0000${label ?? ''}`;
    if (seenEdges.has(key)) return;
    seenEdges.add(key);
    edges.push(label === undefined ? { from, to } : { from, to, label });
  };
  for (const name of Object.keys(config.sources))
    nodes.push({ id: nodeId('source', name), kind: 'source', label: name });
  for (const event of Object.values(config.events)) {
    nodes.push({ id: nodeId('event', event.type), kind: 'event', label: event.type });
    for (const source of event.sources) edge(nodeId('source', source), nodeId('event', event.type), 'sends');
    // An event that reaches several entities shows one edge per entity: the state it folds into, or just "reaches".
    for (const reach of reachesOf(event)) {
      if (reach.reduce.length > 0) edge(nodeId('event', event.type), nodeId('entity', reach.entity), 'updates state');
      else if (reachesSeveral(event)) edge(nodeId('event', event.type), nodeId('entity', reach.entity), 'reaches');
    }
  }
  for (const rule of config.rules) {
    nodes.push({ id: nodeId('rule', rule.id), kind: 'rule', label: rule.id });
    for (const [type, role] of triggerRoles(rule)) edge(nodeId('event', type), nodeId('rule', rule.id), role);
    for (const [list, prefix] of [
      [rule.then, ''],
      [rule.onFailure, 'on failure: '],
    ] as const) {
      for (const action of list) {
        if (action.kind === 'call')
          edge(nodeId('rule', rule.id), nodeId('connector', action.connector), `${prefix}${action.summary ?? 'calls'}`);
        if (action.kind === 'emit') edge(nodeId('rule', rule.id), nodeId('event', action.type), `${prefix}emits`);
        // What a call answered, or how a started workflow ended, comes back as an event of the entity.
        const by = action.kind === 'call' ? action.connector : action.kind === 'start' ? action.workflow : '';
        for (const { outcome, type } of resultEventTypes(action))
          edge(nodeId('rule', rule.id), nodeId('event', type), `${prefix}${by} ${outcome}`);
        const entity = ruleEntity(config, rule);
        if (action.kind === 'set' && entity)
          edge(nodeId('rule', rule.id), nodeId('entity', entity), `${prefix}sets state`);
        if (action.kind === 'end' && entity) edge(nodeId('rule', rule.id), nodeId('entity', entity), `${prefix}ends`);
      }
    }
  }
  for (const name of Object.keys(config.connectors))
    nodes.push({ id: nodeId('connector', name), kind: 'connector', label: name });
  for (const name of Object.keys(config.entities))
    nodes.push({ id: nodeId('entity', name), kind: 'entity', label: name });
  return { nodes, edges };
}

/** The event types a rule observes, each with its role (`on`, `within`, `unless`, `count`, `all`, …). */
export function triggerRoles(rule: CompiledRule): Array<[string, string]> {
  const timing = rule.timing;
  const triggerRole = timing === undefined || timing.kind === 'within' || timing.kind === 'unless' ? 'on' : timing.kind;
  const roles: Array<[string, string]> = rule.on.map((ref) => [ref.type, triggerRole]);
  if (timing?.kind === 'within') roles.push([timing.then.type, 'within']);
  if (timing?.kind === 'unless') roles.push(...cancellers(timing).map((ref): [string, string] => [ref.type, 'unless']));
  if (timing?.kind === 'all') roles.push(...joinLeaves(timing.join).map((ref): [string, string] => [ref.type, 'all']));
  const seen = new Set<string>();
  return roles.filter(([type, role]) => {
    const key = `${type}/${role}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export { ruleEntity };
