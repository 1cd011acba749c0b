import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { createEngineActivities } from '../../activities/engine-activities.js';
import { compileConfigText } from '../../src/config/index.js';
import type { EngineEvent } from '../../src/rules/types.js';
import { ConfigStore } from '../../src/worker/config-store.js';

const compiled = compileConfigText(
  `
name: emit-check
entities: { service: { key: data.service } }
sources: { pager: { auth: none } }
events:
  storm.detected:
    entity: service
    schema: { type: object, required: [service, count], properties: { service: { type: string }, count: { type: integer } } }
`,
  'emit-check.yaml',
);
if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
const config = compiled.config;

const storm = (data: Record<string, unknown>): EngineEvent => ({
  id: 'incident/i1:e1:report:0',
  source: 'engine',
  type: 'storm.detected',
  specversion: '1.0',
  data: data as EngineEvent['data'],
});

function activities() {
  const sent: EngineEvent[] = [];
  const acts = createEngineActivities({
    configStore: new ConfigStore(config),
    deliverer: { send: async (events) => sent.push(...events) },
  });
  return { acts, sent };
}

describe('emitEvents', () => {
  it('fails for good, explained, when an emitted event breaks its schema (issue 16)', async () => {
    const { acts, sent } = activities();
    const failure = await acts
      .emitEvents({ events: [storm({ service: 'web', count: 'many' })], configVersion: config.version })
      .catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'EmittedEventInvalid', nonRetryable: true });
    expect((failure as Error).message).toContain('/data/count must be integer');
    expect(sent).toEqual([]);
  });

  it('fails for good when an emitted event cannot be routed, and delivers a good one', async () => {
    const { acts, sent } = activities();
    await expect(
      acts.emitEvents({ events: [storm({ count: 3 })], configVersion: config.version }),
    ).rejects.toMatchObject({ type: 'EmittedEventInvalid' });
    await acts.emitEvents({ events: [storm({ service: 'web', count: 3 })], configVersion: config.version });
    expect(sent).toHaveLength(1);
  });
});
