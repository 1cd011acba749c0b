/** exploreInterleavings: every order in which emitted events may arrive, grouped by outcome. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { compileConfigText, loadCompiledConfig } from '../../src/config/index.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { exploreInterleavings } from '../../src/rules/interleavings.js';
import { formatInterleavings } from '../../src/rules/interleavings-report.js';
import { simulate } from '../../src/rules/simulate.js';
import type { Scheduler } from '../../src/rules/simulate.js';
import type { EngineEvent } from '../../src/rules/types.js';
import { readEventsFile } from '../../src/cli/events-file.js';
import { interleaveFiles } from '../../src/cli/simulate-commands.js';

const ev = (id: string, type: string, data: Record<string, unknown>): EngineEvent => ({
  id,
  source: 'app',
  type,
  specversion: '1.0',
  data: data as EngineEvent['data'],
});

/** A team's scan emits a note to the board; the board also takes notes directly. Its log shows the order. */
function boardConfig(): CompiledConfig {
  const result = compileConfigText(
    stringify({
      name: 'board',
      entities: { team: { key: 'data.teamId' }, board: { key: 'data.boardId', initial: { log: [] } } },
      sources: { app: { auth: 'none' } },
      events: {
        scanned: { source: 'app', entity: 'team', reduce: [{ increment: { scans: 1 } }] },
        noted: { source: 'app', entity: 'board', reduce: [{ append: { log: '{{ data.text }}' } }] },
      },
      rules: [
        {
          id: 'tell-board',
          on: 'scanned',
          then: [
            { emit: { type: 'noted', data: { boardId: 'main', text: 'first {{ entity.key }}' } } },
            { emit: { type: 'noted', data: { boardId: 'main', text: 'then {{ entity.key }}' } } },
          ],
        },
      ],
    }),
    'board.yaml',
  );
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.config;
}

describe('exploring the orders of emitted events', () => {
  it('the default order is the simulator’s own; a scheduler always taking choice 0 gives the same steps', async () => {
    const config = await loadCompiledConfig('examples/treasure-hunt/hunt.yaml');
    const events = await readEventsFile('examples/treasure-hunt/scenarios/happy-path.jsonl');
    const plain = simulate(config, events);
    const first: Scheduler = () => 0;
    expect(simulate(config, events, { schedule: first })).toEqual(plain);
  });

  it('finds every order: one firing’s emits stay in order, input events stay in order', () => {
    const config = boardConfig();
    const events = [ev('s-1', 'scanned', { teamId: 'red' }), ev('n-1', 'noted', { boardId: 'main', text: 'direct' })];
    const result = exploreInterleavings(config, events);
    expect(result.complete).toBe(true);
    const logs = result.outcomes.map((o) => o.entities['board/main']?.state.log);
    // "first red" always before "then red"; "direct" anywhere among them.
    expect(logs).toEqual([
      ['first red', 'then red', 'direct'],
      ['first red', 'direct', 'then red'],
      ['direct', 'first red', 'then red'],
    ]);
    expect(result.outcomes.map((o) => o.default)).toEqual([true, false, false]);
    expect(result.orders).toBe(3);
  });

  it('interleaves two firings’ emits with each other', () => {
    const config = boardConfig();
    const events = [ev('s-1', 'scanned', { teamId: 'red' }), ev('s-2', 'scanned', { teamId: 'blue' })];
    const result = exploreInterleavings(config, events);
    const logs = result.outcomes.map((o) => (o.entities['board/main']?.state.log as string[]).join(', '));
    // Every merge of [first red, then red] with [first blue, then blue]: 4 choose 2 = 6.
    expect(new Set(logs).size).toBe(6);
    expect(logs).toContain('first red, first blue, then blue, then red');
    expect(logs).not.toContain('then red, first red, first blue, then blue');
  });

  it('reports one outcome when the order cannot matter', () => {
    const config = boardConfig();
    const result = exploreInterleavings(config, [ev('s-1', 'scanned', { teamId: 'red' })]);
    expect(result.outcomes).toHaveLength(1);
    expect(formatInterleavings(result)).toContain('1 outcome — the order does not matter here');
  });

  it('shows the storm race of the incidents example: a late emit lets the storm page twice', async () => {
    const config = await loadCompiledConfig('examples/incidents/incidents.yaml');
    const events = await readEventsFile('examples/incidents/scenarios/storm-race.jsonl');
    const result = exploreInterleavings(config, events);
    const pages = result.outcomes.map((o) =>
      o.actions.filter((a) => a.action.kind === 'call').map((a) => a.idempotencyKey),
    );
    expect(pages).toEqual([
      ['service/checkout:a-3:storm:1'],
      ['service/checkout:a-3:storm:1', 'service/checkout:a-6:storm:1'],
    ]);
    const text = formatInterleavings(result);
    expect(text).toMatch(/Explored \d+ orders .*\(every possible order\): 2 outcomes\./);
    expect(text).toContain('actions only here: service/checkout:a-6:storm:0, service/checkout:a-6:storm:1');
  });

  it('for random inputs: the default order’s outcome is the plain simulation’s, and every order keeps one firing’s emits in order', () => {
    const config = boardConfig();
    const input = fc.array(
      fc.oneof(
        fc.constantFrom('red', 'blue', 'gold').map((teamId) => ({ type: 'scanned', data: { teamId } })),
        fc.constantFrom('x', 'y').map((text) => ({ type: 'noted', data: { boardId: 'main', text } })),
      ),
      { minLength: 1, maxLength: 4 },
    );
    fc.assert(
      fc.property(input, (items) => {
        const events = items.map((item, i) => ev(`e-${i}`, item.type, item.data));
        const result = exploreInterleavings(config, events, { maxOrders: 200 });
        const plain = simulate(config, events);
        const first = result.outcomes.find((o) => o.default)!;
        expect(first.entities['board/main']?.state).toEqual(plain.entities['board/main']?.state);
        for (const outcome of result.outcomes) {
          const log = (outcome.entities['board/main']?.state.log ?? []) as string[];
          // Each scan's "first <team>" comes before its "then <team>"; direct notes keep their input order.
          for (const team of ['red', 'blue', 'gold']) {
            const firsts = log.flatMap((text, i) => (text === `first ${team}` ? [i] : []));
            const thens = log.flatMap((text, i) => (text === `then ${team}` ? [i] : []));
            expect(firsts.length).toBe(thens.length);
            firsts.forEach((at, k) => expect(at).toBeLessThan(thens[k]!));
          }
          const direct = log.filter((text) => text === 'x' || text === 'y');
          expect(direct).toEqual(items.flatMap((item) => ('text' in item.data ? [item.data.text] : [])));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('hunt simulate --interleave reads the events file (relative times) and reports', async () => {
    const { result, text } = await interleaveFiles(
      'examples/incidents/incidents.yaml',
      'examples/incidents/scenarios/storm-race.jsonl',
      { maxOrders: 5 },
    );
    expect(result.orders).toBe(5);
    expect(text).toContain("Outcome 1 — 3 orders, the simulator's default order");
  });

  it('stops at maxOrders and says so', () => {
    const config = boardConfig();
    const events = [ev('s-1', 'scanned', { teamId: 'red' }), ev('s-2', 'scanned', { teamId: 'blue' })];
    const result = exploreInterleavings(config, events, { maxOrders: 2 });
    expect(result).toMatchObject({ orders: 2, complete: false });
    expect(formatInterleavings(result)).toContain('stopped after 2 orders (--max-orders)');
  });
});
