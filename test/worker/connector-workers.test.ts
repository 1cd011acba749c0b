import { describe, expect, it } from 'vitest';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { connectorTaskQueue, connectorWorkerOptions } from '../../src/worker/connector-workers.js';
import { makeConnector } from '../activities/connector-fixtures.js';

function config(connectors: ReturnType<typeof makeConnector>[], version = 'v1'): CompiledConfig {
  return {
    name: 'hunt',
    version,
    entities: {},
    sources: {},
    events: {},
    connectors: Object.fromEntries(connectors.map((c) => [c.name, c])),
    rules: [],
    rulesByEvent: {},
  };
}

describe('connectorWorkerOptions', () => {
  it('gives each flow-controlled connector a queue with its slots and server-side rate limit', () => {
    const options = connectorWorkerOptions(
      config([
        makeConnector({ name: 'mailer' }),
        makeConnector({ name: 'payouts', concurrency: 2 }),
        makeConnector({ name: 'leaderboard', rateLimit: 0.5 }),
        makeConnector({ name: 'crm', concurrency: 4, rateLimit: 10 }),
      ]),
      'hunt',
    );
    expect(options).toEqual([
      { taskQueue: 'hunt.connector.payouts', maxConcurrentActivityTaskExecutions: 2 },
      { taskQueue: 'hunt.connector.leaderboard', maxTaskQueueActivitiesPerSecond: 0.5 },
      { taskQueue: 'hunt.connector.crm', maxConcurrentActivityTaskExecutions: 4, maxTaskQueueActivitiesPerSecond: 10 },
    ]);
  });

  it('returns nothing when no connector is limited', () => {
    expect(connectorWorkerOptions(config([makeConnector({ name: 'mailer' })]), 'hunt')).toEqual([]);
  });

  it('serves the queues of every given config version, the later version setting the limits', () => {
    const old = config([
      makeConnector({ name: 'payouts', concurrency: 1 }),
      makeConnector({ name: 'crm', rateLimit: 1 }),
    ]);
    const current = config([makeConnector({ name: 'payouts', concurrency: 3 })], 'v2');
    expect(connectorWorkerOptions([old, current], 'q')).toEqual([
      { taskQueue: 'q.connector.payouts', maxConcurrentActivityTaskExecutions: 3 },
      { taskQueue: 'q.connector.crm', maxTaskQueueActivitiesPerSecond: 1 },
    ]);
  });

  it('agrees with the queue the workflow schedules on', () => {
    const payouts = makeConnector({ name: 'payouts', concurrency: 2 });
    expect(connectorWorkerOptions(config([payouts]), 'hunt')[0]?.taskQueue).toBe(connectorTaskQueue('hunt', payouts));
  });
});
