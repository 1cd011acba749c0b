/**
 * Determinism: every committed history (test/fixtures/histories/, recorded by `npm run record-histories`)
 * replays with the current workflow code; a deliberately non-deterministic change fails replay.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { EARLIER_PATCHES, RUN_START_PATCH } from '../../workflows/run-patches.js';
import { REDRIVE_WORKFLOW_TYPE } from '../../src/contract/operations.js';
import { installSdkTestLogger } from '../helpers/sdk-log.js';
import { workflowBundle } from '../helpers/temporal.js';

const dir = 'test/fixtures/histories';

async function fixtures() {
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(
    files.map(async (file) => ({
      workflowId: file,
      history: historyFromJSON(JSON.parse(await fs.readFile(path.join(dir, file), 'utf8'))),
    })),
  );
}

beforeAll(() => installSdkTestLogger());

describe('replay of recorded histories', () => {
  it('replays every committed history with the current workflow code', async () => {
    const histories = await fixtures();
    expect(histories.length).toBeGreaterThanOrEqual(10);
    const results: Array<{ workflowId: string; error?: unknown }> = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: workflowBundle() }, histories)) {
      results.push(result);
    }
    expect(results).toHaveLength(histories.length);
    expect(results.filter((r) => r.error).map((r) => `${r.workflowId}: ${String(r.error)}`)).toEqual([]);
  }, 120_000);

  it('covers the bulk redrive operation workflow (hunt.redrive/..., its activities and memo upserts)', async () => {
    const types = (await fixtures()).map(
      ({ history }) => history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name,
    );
    expect(types).toContain(REDRIVE_WORKFLOW_TYPE);
  });

  // Every patch the entity workflow has asked (test/workflows/run-patches.test.ts checks the list).
  it.each([...EARLIER_PATCHES, RUN_START_PATCH])(
    'covers runs from before and after patch %s (patched() keeps both replaying)',
    async (patchId) => {
      const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.json'));
      const marked = await Promise.all(
        files.map(async (f) => {
          const text = await fs.readFile(path.join(dir, f), 'utf8');
          return [...text.matchAll(/"data":\s*"([A-Za-z0-9+/=]+)"/g)].some((m) =>
            Buffer.from(m[1]!, 'base64').toString().includes(`"id":"${patchId}"`),
          );
        }),
      );
      expect(marked.filter(Boolean).length).toBeGreaterThan(0);
      expect(marked.filter((m) => !m).length).toBeGreaterThan(0);
    },
  );

  it('fails replay when the workflow code changes non-deterministically', async () => {
    const bundle = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('../fixtures/nondeterministic/index.ts', import.meta.url)),
      logger: new DefaultLogger('ERROR'),
    });
    const histories = await fixtures();
    const errors: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, histories.slice(0, 3))) {
      if (result.error) errors.push(String(result.error));
    }
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/[Nn]ondetermin/);
  }, 120_000);
});
