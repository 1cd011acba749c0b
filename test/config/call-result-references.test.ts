/** A call's `result` (issue 22): what the compiler makes of it, and the located problems when it is wrong. */
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { compileConfigText } from '../../src/config/index.js';
import type { ConfigProblem } from '../../src/config/index.js';

function doc(rule: Record<string, unknown>, events: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'results',
    entities: { team: { key: 'data.teamId' }, board: { key: 'data.boardId' } },
    sources: { app: { auth: { apiKey: { env: 'APP_KEY' } } } },
    events: {
      'hunt.won': { source: 'app', entity: 'team' },
      'payouts.responded': { entity: 'team', reduce: [{ set: { transferId: '{{ data.body.id }}' } }] },
      ...events,
    },
    connectors: {
      payouts: { http: { url: '{{ env.PAYOUTS_URL }}' } },
      mailer: { http: { url: '{{ env.MAILER_URL }}' } },
    },
    rules: [{ id: 'pay', on: 'hunt.won', ...rule }],
  };
}

function compile(value: unknown) {
  return compileConfigText(stringify(value), 'results.yaml');
}

function problems(value: unknown): ConfigProblem[] {
  const result = compile(value);
  return result.ok ? result.warnings : result.problems;
}

describe('call result', () => {
  it('`true` takes the declared <connector>.responded / .failed; an event type or an object names them', () => {
    const withTrue = compile(doc({ then: [{ call: 'payouts', result: true }] }));
    expect(withTrue.ok && withTrue.config.rules[0]?.then[0]).toMatchObject({
      result: { responded: 'payouts.responded' },
    });
    const both = compile(doc({ then: [{ call: 'payouts', result: true }] }, { 'payouts.failed': { entity: 'team' } }));
    expect(both.ok && both.config.rules[0]?.then[0]).toMatchObject({
      result: { responded: 'payouts.responded', failed: 'payouts.failed' },
    });
    const named = compile(
      doc(
        { then: [{ call: 'payouts', result: { failed: 'payout.refused' } }] },
        { 'payout.refused': { entity: 'team' } },
      ),
    );
    expect(named.ok && named.config.rules[0]?.then[0]).toMatchObject({ result: { failed: 'payout.refused' } });
  });

  it('later actions of the same then may read result and results; others may not', () => {
    expect(
      problems(
        doc({
          then: [
            { call: 'payouts', result: true },
            { call: 'mailer', body: { id: '{{ result.body.id }}', again: '{{ results.payouts.status }}' } },
          ],
        }),
      ),
    ).toEqual([]);
    const before = problems(
      doc({
        then: [
          { call: 'mailer', body: { id: '{{ result.body.id }}' } },
          { call: 'payouts', result: true },
        ],
      }),
    );
    expect(before.map((p) => p.message)).toEqual([expect.stringMatching(/unknown variable "result"/)]);
    expect(before[0]?.path).toBe('rules[0].then[0].body.id');
    const onFailure = problems(
      doc({ then: [{ call: 'payouts', result: true }], onFailure: [{ call: 'mailer', body: '{{ result.status }}' }] }),
    );
    expect(onFailure.map((p) => p.message)).toEqual([expect.stringMatching(/unknown variable "result"/)]);
  });

  it('names undeclared result events, results of another entity, and `true` with neither default declared', () => {
    const undeclared = problems(doc({ then: [{ call: 'payouts', result: 'payouts.respondd' }] }));
    expect(undeclared[0]).toMatchObject({ path: 'rules[0].then[0].result', suggestion: 'payouts.responded' });
    expect(undeclared[0]?.message).toMatch(/unknown event "payouts.respondd"/);
    const other = problems(
      doc({ then: [{ call: 'payouts', result: 'board.paid' }] }, { 'board.paid': { entity: 'board' } }),
    );
    expect(other[0]?.message).toMatch(/about entity "board", but this rule runs for "team"/);
    const none = problems(doc({ then: [{ call: 'mailer', result: true }] }));
    expect(none[0]?.message).toMatch(/mailer.responded \/ mailer.failed, but neither is declared/);
    expect(none[0]?.line).toBeGreaterThan(1);
  });
});
