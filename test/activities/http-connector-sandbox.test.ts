import { ApplicationFailure } from '@temporalio/common';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpConnectorActivities } from '../../activities/http-connector.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server.js';
import {
  captureLogger,
  makeCallInput,
  makeConnector,
  mockActivityEnvironment,
  runActivity,
} from './connector-fixtures.js';

let box: Sandbox | undefined;
afterEach(async () => {
  await box?.close();
  box = undefined;
});

describe('callConnector against the sandbox partner systems', () => {
  it('retries through injected failures and acts once downstream, even when a success is repeated', async () => {
    box = await startSandbox({ host: '127.0.0.1' });
    box.control('payouts', 'fail first 2 with status 503 retry-after 1');
    const { logger } = captureLogger();
    const activities = createHttpConnectorActivities({ logger, env: { PAYOUTS_URL: box.url('payouts') } });
    const connector = makeConnector({
      name: 'payouts',
      http: { url: '{{ env.PAYOUTS_URL }}' },
      recordHeaders: ['idempotent-replayed'],
    });
    const input = makeCallInput(connector, { path: '/payouts', body: { team: 'red', amount: 100 } });

    // Temporal would schedule these attempts; each one is the same call with the same idempotency key.
    const outcomes: unknown[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      try {
        outcomes.push(await runActivity(mockActivityEnvironment({ attempt }), activities.callConnector, input));
      } catch (err) {
        if (!(err instanceof ApplicationFailure)) throw err;
        outcomes.push({ type: err.type, nonRetryable: err.nonRetryable, nextRetryDelay: err.nextRetryDelay });
      }
    }

    expect(outcomes[0]).toEqual({ type: 'HttpStatusError', nonRetryable: false, nextRetryDelay: 1000 });
    expect(outcomes[1]).toEqual({ type: 'HttpStatusError', nonRetryable: false, nextRetryDelay: 1000 });
    expect(outcomes[2]).toMatchObject({ status: 201, attempt: 3 });
    // A fourth attempt (say, the worker crashed before reporting success) gets the first answer back.
    expect(outcomes[3]).toMatchObject({ status: 201, attempt: 4, headers: { 'idempotent-replayed': 'true' } });
    expect((outcomes[3] as { body: string }).body).toBe((outcomes[2] as { body: string }).body);

    const recorded = box.requests();
    expect(recorded.map((r) => r.outcome)).toEqual(['failed', 'failed', 'ok', 'duplicate']);
    expect(new Set(recorded.map((r) => r.idempotencyKey))).toEqual(new Set([input.idempotencyKey]));
    expect(recorded.filter((r) => r.outcome === 'ok')).toHaveLength(1);
  });

  it('sees a down partner as a retryable network error', async () => {
    box = await startSandbox({ host: '127.0.0.1' });
    box.control('mailer', 'down for 5s');
    const { logger } = captureLogger();
    const activities = createHttpConnectorActivities({ logger, env: {} });
    const input = makeCallInput(makeConnector({ http: { url: box.url('mailer') } }));
    const err = await runActivity(mockActivityEnvironment(), activities.callConnector, input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe('HttpNetworkError');
    expect((err as ApplicationFailure).nonRetryable).toBe(false);
  });
});
