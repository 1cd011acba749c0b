/**
 * One event reaching several entities (`events.<type>.alsoReaches`, `rules[].entity`): routing, the machine
 * (per-entity reducers and rules, dedupe per entity), the simulator, and the checks, docs and graph around it.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { compileConfigText, loadCompiledConfig } from '../../src/config/index.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { renderDocs } from '../../src/config/docs.js';
import { buildGraph } from '../../src/config/graph.js';
import { lintConfigText } from '../../src/config/lint.js';
import { createEventValidator } from '../../src/config/event-validator.js';
import { EntityMachine } from '../../src/rules/entity-machine.js';
import { routeEvent } from '../../src/rules/routing.js';
import { simulate } from '../../src/rules/simulate.js';
import type { EngineEvent } from '../../src/rules/types.js';

const EXAMPLE = 'examples/incidents/incidents.yaml';
const ENV = { MONITORING_API_KEY: 'm', ONCALL_API_KEY: 'o', PAGER_URL: 'http://127.0.0.1:1/pager' };

const alert = (id: string, incidentId: string, service: string, severity = 3): EngineEvent => ({
  id,
  source: 'monitoring',
  type: 'alert.fired',
  specversion: '1.0',
  data: { incidentId, service, severity },
});

async function exampleDoc(): Promise<Record<string, unknown>> {
  return parse(await readFile(EXAMPLE, 'utf8')) as Record<string, unknown>;
}

function compile(doc: unknown) {
  return compileConfigText(stringify(doc), 'reach.yaml');
}

function compiled(doc: unknown): CompiledConfig {
  const result = compile(doc);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.config;
}

describe('routing an event that reaches several entities', () => {
  it('routes it to every entity, its own first, each by its key', async () => {
    const config = await loadCompiledConfig(EXAMPLE);
    const route = routeEvent(config, alert('a-1', 'inc-1', 'checkout'));
    expect(route).toEqual({
      ok: true,
      entity: { type: 'incident', key: 'inc-1' },
      entities: [
        { type: 'incident', key: 'inc-1' },
        { type: 'service', key: 'checkout' },
      ],
    });
  });

  it('refuses the whole event when one key is missing, naming it (never half-delivered)', async () => {
    const config = await loadCompiledConfig(EXAMPLE);
    const event = { ...alert('a-1', 'inc-1', 'x'), data: { incidentId: 'inc-1', severity: 2 } };
    const route = routeEvent(config, event);
    expect(route).toMatchObject({ ok: false, keyPath: 'data.service' });
    expect(!route.ok && route.reason).toMatch(/"data.service" of entity "service"/);
    // Ingest's validator says so too (the schema requires it here, so take the routing check of an emit).
    expect(createEventValidator(config).validateEmitted(event)).toEqual([
      expect.objectContaining({ pointer: '/data/service' }),
    ]);
  });

  it('takes a per-route key when the event holds the entity key elsewhere', async () => {
    const doc = await exampleDoc();
    const events = doc.events as Record<string, Record<string, unknown>>;
    events['alert.fired']!.alsoReaches = { service: { key: 'subject', reduce: [{ increment: { alerts: 1 } }] } };
    const config = compiled(doc);
    const route = routeEvent(config, { ...alert('a-1', 'inc-1', 'ignored'), subject: 'payments' });
    expect(route.ok && route.entities[1]).toEqual({ type: 'service', key: 'payments' });
  });
});

describe('a list of keys: one event reaching several entities of one type', () => {
  async function listConfig(): Promise<CompiledConfig> {
    const doc = await exampleDoc();
    const events = doc.events as Record<string, Record<string, unknown>>;
    events['alert.fired']!.schema = { type: 'object', required: ['incidentId'] };
    events['alert.fired']!.alsoReaches = {
      service: { key: 'data.services', reduce: [{ increment: { alerts: 1 } }] },
    };
    return compiled(doc);
  }
  const withServices = (id: string, services: unknown): EngineEvent => ({
    ...alert(id, 'inc-1', 'unused'),
    data: { incidentId: 'inc-1', severity: 3, services } as EngineEvent['data'],
  });

  it('reaches every entity in the list once (repeats collapse), none for an empty list', async () => {
    const config = await listConfig();
    const route = routeEvent(config, withServices('a-1', ['checkout', 'search', 'checkout']));
    expect(route.ok && route.entities.map((e) => `${e.type}/${e.key}`)).toEqual([
      'incident/inc-1',
      'service/checkout',
      'service/search',
    ]);
    const none = routeEvent(config, withServices('a-2', []));
    expect(none.ok && none.entities.map((e) => `${e.type}/${e.key}`)).toEqual(['incident/inc-1']);
    const bad = routeEvent(config, withServices('a-3', ['checkout', '']));
    expect(bad).toMatchObject({ ok: false, keyPath: 'data.services' });
    expect(!bad.ok && bad.reason).toContain('(or a list of them)');
  });

  it('the simulator folds it into each of them', async () => {
    const config = await listConfig();
    const result = simulate(config, [withServices('a-1', ['checkout', 'search'])]);
    expect(result.entities['service/checkout']?.state).toMatchObject({ alerts: 1 });
    expect(result.entities['service/search']?.state).toMatchObject({ alerts: 1 });
    expect(result.entities['incident/inc-1']?.state).toMatchObject({ alerts: 1 });
  });
});

describe('each entity folds the event once, with its own reducers and rules', () => {
  it('runs the reducers and rules of the machine’s own entity only', async () => {
    const config = await loadCompiledConfig(EXAMPLE);
    const incident = new EntityMachine(config, { type: 'incident', key: 'inc-1' });
    const service = new EntityMachine(config, { type: 'service', key: 'checkout' });
    for (const [i, id] of ['a-1', 'a-2', 'a-3'].entries()) {
      const event = alert(id, 'inc-1', 'checkout');
      const onIncident = incident.handleEvent(event, i * 1000);
      const onService = service.handleEvent(event, i * 1000);
      // The storm rule (entity: service) is never evaluated in the incident.
      expect(onIncident.trace?.verdicts.map((v) => v.ruleId)).toEqual(['escalate']);
      expect(onService.trace?.verdicts.map((v) => v.ruleId)).toEqual(['storm']);
    }
    expect(incident.state).toMatchObject({ alerts: 3 });
    expect(incident.state).not.toHaveProperty('incidents');
    expect(service.state).toMatchObject({ alerts: 3, incidents: ['inc-1', 'inc-1', 'inc-1'] });
    expect(service.traces().at(-1)?.verdicts).toEqual([expect.objectContaining({ ruleId: 'storm', fired: true })]);
  });

  it('simulates one step per entity, dedupes per entity, and feeds the storm emit back to the service', async () => {
    const config = await loadCompiledConfig(EXAMPLE);
    const events = [
      alert('a-1', 'inc-1', 'checkout'),
      alert('a-2', 'inc-2', 'checkout'),
      alert('a-2', 'inc-2', 'checkout'),
      alert('a-3', 'inc-2', 'checkout'),
    ];
    const result = simulate(config, events);
    // (Timer steps left out: the incidents' escalate deadlines, whose `if` is false for severity 3.)
    const rows = result.steps.filter((s) => s.kind !== 'timer').map((s) => [s.eventId, s.entity, s.status]);
    expect(rows).toEqual([
      ['a-1', 'incident/inc-1', 'accepted'],
      ['a-1', 'service/checkout', 'accepted'],
      ['a-2', 'incident/inc-2', 'accepted'],
      ['a-2', 'service/checkout', 'accepted'],
      ['a-2', 'incident/inc-2', 'duplicate'],
      ['a-2', 'service/checkout', 'duplicate'],
      ['a-3', 'incident/inc-2', 'accepted'],
      ['a-3', 'service/checkout', 'accepted'],
      ['service/checkout:a-3:storm:0', 'service/checkout', 'accepted'],
    ]);
    expect(result.entities['service/checkout']?.state).toMatchObject({ alerts: 3, storm: true });
    expect(result.entities['incident/inc-2']?.state).toMatchObject({ alerts: 2 });
    expect(result.steps.flatMap((s) => s.fired)).toEqual(['storm']);
  });

  it('is unchanged for events that reach one entity (rules keep running where their trigger is)', async () => {
    const config = await loadCompiledConfig('examples/treasure-hunt/hunt.yaml');
    for (const event of Object.values(config.events)) expect(event.alsoReaches).toBeUndefined();
    expect(config.rules.every((rule) => rule.entity === undefined)).toBe(true);
  });
});

describe('checks, docs and graph of alsoReaches', () => {
  it('compiles the example; lint is clean apart from unset env', async () => {
    const findings = lintConfigText(await readFile(EXAMPLE, 'utf8'), EXAMPLE, { env: ENV });
    expect(findings).toEqual([]);
  });

  it('reports an unknown entity, the event’s own entity again, and a rule entity its trigger never reaches', async () => {
    const doc = await exampleDoc();
    const events = doc.events as Record<string, Record<string, unknown>>;
    events['alert.fired']!.alsoReaches = { servce: {}, incident: {} };
    const rules = doc.rules as Array<Record<string, unknown>>;
    rules.push({ id: 'wrong-entity', entity: 'service', on: 'incident.resolved', then: [{ end: {} }] });
    const result = compile(doc);
    expect(result.ok).toBe(false);
    const messages = !result.ok ? result.problems.map((p) => `${p.path}: ${p.message}`) : [];
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/alsoReaches\.servce: unknown entity "servce"/),
        expect.stringMatching(/alsoReaches\.incident: .*already/),
        expect.stringMatching(/rules\[2\]\.on: rule runs in entity "service", but its trigger "incident.resolved"/),
      ]),
    );
    const problem = !result.ok ? result.problems.find((p) => p.path.startsWith('rules[2]')) : undefined;
    expect(problem?.line).toBeGreaterThan(0);
  });

  it('lint: an emit lacking a further entity’s key is unrouted; a partner reaching the rule’s entity is fine', async () => {
    const doc = await exampleDoc();
    const rules = doc.rules as Array<Record<string, unknown>>;
    rules.push({
      id: 'echo',
      on: 'incident.acknowledged',
      then: [{ emit: { type: 'alert.fired', data: { incidentId: '{{ entity.key }}', severity: 1 } } }],
    });
    // A service rule whose `unless` partner is alert.fired: it reaches the service too, so no cross-entity error.
    rules.push({
      id: 'quiet-service',
      entity: 'service',
      on: 'service.storm',
      unless: { event: 'alert.fired', window: '30m' },
      then: [{ set: { storm: false } }],
    });
    const findings = lintConfigText(stringify(doc), 'reach.yaml', { env: ENV });
    expect(findings.map((f) => f.message)).toEqual([
      expect.stringMatching(/emits "alert.fired" without data.service, the correlation key of entity "service"/),
    ]);
  });

  it('types a rule’s `state` as its own entity’s', async () => {
    const doc = await exampleDoc();
    const rules = doc.rules as Array<Record<string, unknown>>;
    // service state has `incidents` (a list); comparing its size with a string is a type error there.
    rules[1]!.if = 'size(state.incidents) > "2"';
    const result = compile(doc);
    expect(!result.ok && result.problems.map((p) => p.message)).toEqual([expect.stringMatching(/type error/)]);
    rules[1]!.if = 'size(state.incidents) > 2';
    expect(compile(doc).ok).toBe(true);
  });

  it('says in the docs which entities it reaches and whose state changes; the graph has an edge to each', async () => {
    const config = await loadCompiledConfig(EXAMPLE);
    const docs = renderDocs(config);
    expect(docs).toContain(
      'reaches entities **incident** (key `data.incidentId`), **service** (key `data.service`): each gets it once',
    );
    expect(docs).toMatch(/State of service: .*incidents/);
    expect(docs).toContain('*(entity: service)*');
    const edges = buildGraph(config).edges.filter((e) => e.from === 'event:alert.fired' && e.to.startsWith('entity:'));
    expect(edges.map((e) => e.to)).toEqual(['entity:incident', 'entity:service']);
  });
});
