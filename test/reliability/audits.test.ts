/**
 * The reliability suite's checks, checked: each audit reports the loss or doubling it exists to catch,
 * so a scenario that passes did not pass because its audit was blind.
 */
import { describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../../src/sandbox/sandbox-server.js';
import { auditLogs, type EntityLog } from './harness/entity-history.js';
import { keysExhaustingRetries, type ProxiedAttempt } from './harness/flaky-partner.js';
import { auditPartner } from './harness/partner-audit.js';

const log = (workflowId: string, ids: string[]): EntityLog => ({
  workflowId,
  runs: ['r1'],
  histories: [],
  events: ids.map((eventId) => ({ eventId, source: 'chaos', runId: 'r1', via: 'signal' })),
});

const request = (key: string | undefined, outcome: RecordedRequest['outcome']): RecordedRequest => ({
  seq: 0,
  time: '',
  system: 'partner',
  method: 'POST',
  path: '/partner/scan',
  headers: {},
  body: '{}',
  ...(key !== undefined && { idempotencyKey: key }),
  duplicate: outcome === 'duplicate',
  outcome,
});

describe('auditLogs', () => {
  it('counts events found once, and reports missing, repeated and unknown ones', () => {
    const audit = auditLogs(
      [log('team/a', ['e1', 'e2', 'e2']), log('team/b', ['e1', 'x'])],
      ['e1', 'e2', 'e3'],
      ['e1', 'e2', 'e3'],
    );
    expect(audit.onceInHistory).toBe(0);
    expect(audit.missing).toEqual(['e3']);
    expect(audit.repeated).toEqual([
      { eventId: 'e1', count: 2 },
      { eventId: 'e2', count: 2 },
    ]);
    expect(audit.unknown).toEqual(['x']);
    expect(auditLogs([log('team/a', ['e1'])], ['e1'], ['e1'])).toEqual({
      onceInHistory: 1,
      missing: [],
      repeated: [],
      unknown: [],
    });
  });
});

describe('auditPartner', () => {
  it('reports keys never applied, applied twice, unexpected, and unkeyed requests', () => {
    const audit = auditPartner(
      [
        request('k1', 'ok'),
        request('k1', 'duplicate'),
        request('k2', 'ok'),
        request('k2', 'ok'),
        request('k9', 'ok'),
        request(undefined, 'ok'),
        request('k3', 'failed'),
      ],
      ['k1', 'k2', 'k3'],
    );
    expect(audit).toEqual({
      delivered: 2,
      duplicates: 1,
      missing: ['k3'],
      appliedTwice: ['k2'],
      unexpected: ['k9'],
      unkeyed: 1,
    });
  });
});

describe('keysExhaustingRetries', () => {
  it('names the keys whose first N attempts all failed, and only those', () => {
    const attempts: ProxiedAttempt[] = [
      { key: 'dead', outcome: 'injected', status: 503 },
      { key: 'saved', outcome: 'unreachable' },
      { key: 'dead', outcome: 'unreachable' },
      { key: 'saved', outcome: 'forwarded', status: 200 },
      { key: 'dead', outcome: 'forwarded', status: 500 },
      { key: 'short', outcome: 'unreachable' },
      // A later success (a redrive) does not change what the first attempts were.
      { key: 'dead', outcome: 'forwarded', status: 200 },
    ];
    expect(keysExhaustingRetries(attempts, 3)).toEqual(new Set(['dead']));
  });
});
