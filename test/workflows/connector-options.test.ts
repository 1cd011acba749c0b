import { describe, expect, it } from 'vitest';
import {
  CONNECTOR_HEARTBEAT_TIMEOUT_MS,
  connectorActivityOptions,
  connectorTaskQueue,
  DEFAULT_CONNECTOR_MAXIMUM_ATTEMPTS,
} from '../../workflows/connector-options.js';
import { makeConnector } from '../activities/connector-fixtures.js';

describe('connectorActivityOptions', () => {
  it('maps the connector retry policy and leaves room beyond the HTTP timeout', () => {
    const connector = makeConnector({
      timeoutMs: 10_000,
      retry: {
        maximumAttempts: 3,
        initialIntervalMs: 500,
        backoffCoefficient: 3,
        maximumIntervalMs: 60_000,
        nonRetryableErrorTypes: ['HttpTimeout'],
      },
    });
    expect(connectorActivityOptions(connector)).toEqual({
      startToCloseTimeout: 15_000,
      heartbeatTimeout: CONNECTOR_HEARTBEAT_TIMEOUT_MS,
      retry: {
        maximumAttempts: 3,
        initialInterval: 500,
        backoffCoefficient: 3,
        maximumInterval: 60_000,
        nonRetryableErrorTypes: ['HttpTimeout'],
      },
    });
  });

  it('bounds attempts when the configuration sets none, so a failing call ends as a dead letter', () => {
    const options = connectorActivityOptions(makeConnector({ retry: {} }));
    expect(options.retry).toEqual({ maximumAttempts: DEFAULT_CONNECTOR_MAXIMUM_ATTEMPTS });
  });

  it('routes to the connector task queue only when given the base queue', () => {
    const limited = makeConnector({ name: 'payouts', concurrency: 2 });
    expect(connectorActivityOptions(limited).taskQueue).toBeUndefined();
    expect(connectorActivityOptions(limited, 'hunt').taskQueue).toBe('hunt.connector.payouts');
    expect(connectorActivityOptions(makeConnector(), 'hunt').taskQueue).toBe('hunt');
  });
});

describe('connectorTaskQueue', () => {
  it('gives flow-controlled connectors their own queue and the others the base queue', () => {
    expect(connectorTaskQueue('hunt', makeConnector({ name: 'mailer' }))).toBe('hunt');
    expect(connectorTaskQueue('hunt', makeConnector({ name: 'mailer', rateLimit: 5 }))).toBe('hunt.connector.mailer');
    expect(connectorTaskQueue('hunt', makeConnector({ name: 'payouts', concurrency: 1 }))).toBe(
      'hunt.connector.payouts',
    );
  });
});
