/**
 * Issue 22, call results as events, against the dev server and a real HTTP partner on 127.0.0.1: the payout's
 * answer is recorded as `payouts.responded` in the entity's log, folded by its reducer, seen by a rule, and read by
 * the next action of the same `then`; a failing call records `payouts.failed` and dead-letters. The simulator, given
 * the same answer as a stub, agrees.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileConfigText } from '../../src/config/index.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { deadLettersQuery, eventsQuery, stateQuery, tracesQuery } from '../../src/contract/messages.js';
import { simulate } from '../../src/rules/simulate.js';
import type { EngineEvent } from '../../src/rules/types.js';
import { eventually } from '../reliability/harness/eventually.js';
import { startTestEngine, uniqueName, type TestEngine } from '../helpers/temporal.js';

export const CALL_RESULTS_YAML = `
name: call-results
entities:
  team: { key: data.teamId, initial: { transferId: null, confirmed: false } }
sources: { game: { auth: none } }
events:
  hunt.won: { source: game, entity: team, schema: { type: object, required: [teamId] } }
  payouts.responded:
    entity: team
    reduce: [ { set: { transferId: '{{ data.body.transferId }}', payoutStatus: '{{ data.status }}' } } ]
  payouts.failed:
    entity: team
    reduce: [ { set: { payoutError: '{{ data.error.type }}' } } ]
connectors:
  payouts:
    http: { url: '{{ env.PARTNER_URL }}/payouts' }
    retry: { maximumAttempts: 2, initialInterval: 100ms }
    record: { headers: [x-request-id] }
  mailer: { http: { url: '{{ env.PARTNER_URL }}/mail' }, retry: { maximumAttempts: 2, initialInterval: 100ms } }
rules:
  - id: pay
    on: hunt.won
    then:
      - call: payouts
        body: { team: '{{ entity.key }}' }
        result: true
      - call: mailer
        body: { transfer: '{{ result.body.transferId }}', folded: '{{ state.transferId }}', request: '{{ result.headers["x-request-id"] }}' }
      - set: { paidWith: '{{ results.payouts.body.transferId }}' }
  - id: confirm
    on: payouts.responded
    if: 'data.status == 201'
    then: [ { set: { confirmed: true } } ]
`;

interface Received {
  path: string;
  body: Record<string, unknown>;
}

let server: Server;
let baseUrl: string;
const received: Received[] = [];
let engine: TestEngine;
let config: CompiledConfig;

const won = (teamId: string): EngineEvent => ({
  id: uniqueName('evt'),
  source: 'game',
  type: 'hunt.won',
  specversion: '1.0',
  data: { teamId },
});

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    req.on('end', () => {
      const body = JSON.parse(text || '{}') as Record<string, unknown>;
      received.push({ path: req.url ?? '', body });
      const team = typeof body.team === 'string' ? body.team : '';
      if (req.url === '/payouts' && team.startsWith('broke')) {
        res.writeHead(422, { 'content-type': 'application/json' }).end('{"error":"account closed"}');
      } else if (req.url === '/payouts') {
        res
          .writeHead(201, { 'content-type': 'application/json', 'x-request-id': `req-${team}` })
          .end(JSON.stringify({ transferId: `tr-${team}`, amount: 100 }));
      } else res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const compiled = compileConfigText(CALL_RESULTS_YAML, 'call-results.yaml');
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
  config = compiled.config;
  engine = await startTestEngine(config, { env: { PARTNER_URL: baseUrl } });
});

afterAll(async () => {
  await engine?.stop();
  await new Promise((resolve) => server?.close(resolve));
});

describe('call results become events of the entity', () => {
  it('folds the response into state and the next action of the same rule reads it', async () => {
    const team = uniqueName('foxes');
    await engine.delivery.publish([won(team)]);
    const handle = engine.client.workflow.getHandle(`team/${team}`);
    const view = await eventually(
      () => handle.query(stateQuery),
      (v) => v.state.paidWith !== undefined && v.pendingActions === 0,
      { what: 'the rule finished' },
    );
    expect(view.state).toMatchObject({
      transferId: `tr-${team}`,
      payoutStatus: 201,
      confirmed: true,
      paidWith: `tr-${team}`,
    });
    const mail = await eventually(
      async () => received.filter((r) => r.path === '/mail' && r.body.transfer === `tr-${team}`),
      (found) => found.length > 0,
    );
    // The mailer saw the answer, and the state it was folded into, and the header the connector records.
    expect(mail).toEqual([
      { path: '/mail', body: { transfer: `tr-${team}`, folded: `tr-${team}`, request: `req-${team}` } },
    ]);
    expect(received.filter((r) => r.path === '/payouts' && r.body.team === team)).toHaveLength(1);

    // In the entity's log once, with the rule it fed explained.
    const events = await handle.query(eventsQuery);
    const results = events.filter((e) => e.type === 'payouts.responded');
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ source: 'connector:payouts', status: 'accepted' });
    const traces = await handle.query(tracesQuery, {});
    const trace = traces.find((t) => t.eventType === 'payouts.responded');
    expect(trace?.verdicts.find((v) => v.ruleId === 'confirm')).toMatchObject({ fired: true });

    // The simulator, given the same answer as a stub, folds and renders the same.
    const sim = simulate(config, [won(team)], {
      responses: {
        payouts: { status: 201, headers: { 'x-request-id': `req-${team}` }, body: { transferId: `tr-${team}` } },
      },
    });
    expect(sim.entities[`team/${team}`]?.state).toMatchObject({
      transferId: `tr-${team}`,
      confirmed: true,
      paidWith: `tr-${team}`,
    });
    const resultStep = sim.steps.find((s) => s.kind === 'result');
    expect(resultStep?.actions.find((a) => a.action.kind === 'call')?.action).toMatchObject({
      connector: 'mailer',
      body: { transfer: `tr-${team}`, folded: `tr-${team}`, request: `req-${team}` },
    });
  }, 60_000);

  it('records a final failure as the failed event, dead-letters the call, and runs nothing after it', async () => {
    const team = uniqueName('broke');
    await engine.delivery.publish([won(team)]);
    const handle = engine.client.workflow.getHandle(`team/${team}`);
    const view = await eventually(
      () => handle.query(stateQuery),
      (v) => v.state.payoutError !== undefined && v.deadLetters === 1,
      { what: 'the failure recorded' },
    );
    expect(view.state.payoutError).toBe('HttpStatusError');
    expect(view.state.transferId).toBeNull();
    const letters = await handle.query(deadLettersQuery);
    expect(letters).toHaveLength(1);
    expect(letters[0]?.rest?.map((a) => a.deferred)).toEqual([true, true]);
    expect(received.filter((r) => r.path === '/mail' && String(r.body.transfer).includes(team))).toHaveLength(0);
    const failed = (await handle.query(eventsQuery)).filter((e) => e.type === 'payouts.failed');
    expect(failed).toHaveLength(1);
  }, 60_000);
});
