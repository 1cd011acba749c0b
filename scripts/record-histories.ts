/**
 * Records the replay fixtures in test/fixtures/histories/: the reference scenarios, timers and dead
 * letters, and a continue-as-new, each played on a fresh dev server. Run it after a deliberate,
 * patched() workflow change to add histories of the new code (keep the old ones: they prove old runs replay).
 *   npm run record-histories -- --tag v2
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import pino from 'pino';
import { EntityDelivery } from '../src/client/delivery.js';
import { compileConfigText, loadCompiledConfig } from '../src/config/index.js';
import type { CompiledConfig } from '../src/config/compiled.js';
import { provisionTemporalCli } from '../src/dev/temporal-cli.js';
import type { EngineEvent } from '../src/rules/types.js';
import { startSandbox } from '../src/sandbox/sandbox-server.js';
import { ConfigStore } from '../src/worker/config-store.js';
import { createEngineWorkers } from '../src/worker/worker.js';
import { workflowPreloadModules, workflowsPath } from '../src/worker/workflows-path.js';
import { allSearchAttributeKeys, HuntWaitingOn } from '../src/contract/search-attributes.js';
import { deadLettersQuery, migrateUpdate, redriveUpdate, stateQuery } from '../src/contract/messages.js';
import { isolated, playScenario, readScenario, referenceEnv, routable } from '../test/helpers/scenario-runner.js';
import { timingConfigYaml } from '../test/fixtures/timing-config.js';
import { callResultsConfigYaml, workflowActionsConfigYaml } from '../test/fixtures/call-results-config.js';
import { pause, resume } from '../src/operations/pauses.js';
import { planRedrive, redriveFiltersSchema, runRedrive } from '../src/operations/bulk-redrive.js';

const outDir = 'test/fixtures/histories';
/** `--tag v2` prefixes the file names, so histories of new code sit beside the old ones. */
const tagIndex = process.argv.indexOf('--tag');
const tag = tagIndex > 0 ? `${process.argv[tagIndex + 1]}-` : '';
/** `--only migrate-checked` records just that scenario (the others keep the fixtures they have). */
const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex > 0 ? process.argv[onlyIndex + 1] : undefined;
const wanted = (name: string) => only === undefined || only === name;

async function save(client: Client, name: string, workflowIds: string[]): Promise<void> {
  for (const workflowId of workflowIds) {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const file = path.join(outDir, `${tag}${name}--${workflowId.replace(/[^A-Za-z0-9-]+/g, '_')}.json`);
    await fs.writeFile(file, `${historyToJSON(history)}\n`);
    process.stdout.write(`  ${file} (${history.events?.length ?? 0} events)\n`);
  }
}

async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && ok(value)) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const ev = (type: string, data: Record<string, unknown>, id: string): EngineEvent => ({
  id,
  source: 'test',
  type,
  specversion: '1.0',
  data: data as EngineEvent['data'],
});

async function main() {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const cli = await provisionTemporalCli();
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: cli.path }, searchAttributes: allSearchAttributeKeys },
  });
  const sandbox = await startSandbox();
  const bundle = await bundleWorkflowCode({ workflowsPath, preloadModules: workflowPreloadModules });
  const run = async (
    config: CompiledConfig,
    taskQueue: string,
    body: (delivery: EntityDelivery, store: ConfigStore) => Promise<void>,
    extraEnv: Record<string, string> = {},
  ) => {
    const store = new ConfigStore(config);
    const delivery = new EntityDelivery({ client: env.client, taskQueue, config, coalesceWindowMs: 0 });
    const workers = await createEngineWorkers({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue,
      configStore: store,
      logger: pino({ level: 'warn' }),
      env: { ...referenceEnv((s) => sandbox.url(s)), MAILER_URL: sandbox.url('mailer'), ...extraEnv },
      deliverer: delivery,
      workflowBundle: bundle,
    });
    const running = workers.run();
    try {
      await body(delivery, store);
    } finally {
      workers.shutdown();
      await running;
    }
  };
  try {
    await fs.mkdir(outDir, { recursive: true });
    const reference = await loadCompiledConfig('examples/treasure-hunt/hunt.yaml');
    for (const scenario of ['happy-path', 'stuck-and-locked-out', 'cancelled-hunt'].filter(wanted)) {
      const taskQueue = `record-${scenario}`;
      await run(reference, taskQueue, async (delivery) => {
        const events = isolated(
          reference,
          routable(reference, await readScenario(`examples/treasure-hunt/scenarios/${scenario}.jsonl`)),
          `rec-${scenario}`,
        );
        const ids = await playScenario(reference, delivery, env.client, taskQueue, events);
        await save(env.client, scenario, ids);
      });
    }

    const compiled = compileConfigText(timingConfigYaml, 'timing-config.yaml');
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
    const timing = compiled.config;
    if (wanted('timers-dead-letters'))
      await run(timing, 'record-timers', async (delivery) => {
        // An `unless` timer that fires, a dead letter (partner down), onFailure, and a redrive.
        await delivery.publish([ev('scanned', { teamId: 'timer', checkpoint: 'cp-1' }, 'scan-1')]);
        await until(
          () => env.client.workflow.getHandle('team/timer').query(stateQuery),
          (v) => v.pendingActions === 0 && sandbox.requests().some((r) => r.path.endsWith('/nudge')),
        );
        sandbox.control('mailer', { kind: 'failWith', status: 500 });
        await delivery.publish(
          ['cp-2', 'cp-3'].map((cp, i) => ev('scanned', { teamId: 'timer', checkpoint: cp }, `scan-${i + 2}`)),
        );
        const letters = await until(
          () => env.client.workflow.getHandle('team/timer').query(deadLettersQuery),
          (l) => l.length >= 2,
        );
        sandbox.control('mailer', { kind: 'reset' });
        await env.client.workflow
          .getHandle('team/timer')
          .executeUpdate(redriveUpdate, { args: [{ deadLetterId: letters[0]!.id }] });
        // The board's entity is started by an emitted event, delivered by an activity: wait until it exists.
        await until(
          () => env.client.workflow.getHandle('board/main').describe(),
          () => true,
        );
        await save(env.client, 'timers-dead-letters', ['team/timer', 'board/main']);
      });

    if (wanted('continue-as-new'))
      await run(timing, 'record-can', async (delivery) => {
        // 2,100 events in batches of 100: one continue-as-new after 2,000.
        for (let batch = 0; batch < 21; batch++) {
          await delivery.publish(
            Array.from({ length: 100 }, (_, i) => ev('ping', { teamId: 'busy' }, `ping-${batch * 100 + i}`)),
          );
        }
        const runs: string[] = [];
        for await (const wf of env.client.workflow.list({ query: 'WorkflowId = "team/busy"' })) runs.push(wf.runId);
        const firstRun = runs.at(-1)!;
        const history = await env.client.workflow.getHandle('team/busy', firstRun).fetchHistory();
        const file = path.join(outDir, `${tag}continue-as-new--team_busy.json`);
        await fs.writeFile(file, `${historyToJSON(history)}\n`);
        process.stdout.write(`  ${file} (${history.events?.length ?? 0} events, ${runs.length} runs)\n`);
      });

    if (wanted('migrate-checked')) {
      await run(timing, 'record-migrate', async (delivery, store) => {
        // A migrate to a version nobody has (refused by the run: CHECK_MIGRATE_TARGET_PATCH), then one to a
        // version the worker has (accepted: the run continues as new on it).
        await delivery.publish([ev('scanned', { teamId: 'migrating', checkpoint: 'cp-1' }, 'mig-1')]);
        const handle = env.client.workflow.getHandle('team/migrating');
        const { runId: firstRun } = await handle.describe();
        const next = compileConfigText(`${timingConfigYaml}\n# another version\n`, 'timing-v2.yaml');
        if (!next.ok) throw new Error(JSON.stringify(next.problems));
        const v2 = { ...next.config, version: `${next.config.version.slice(0, 12)}beef` };
        await store.publish(v2);
        await handle
          .executeUpdate(migrateUpdate, { args: [{ configVersion: 'deadbeefdeadbeef' }] })
          .then(() => {
            throw new Error('the migrate to an unknown version was accepted');
          })
          .catch((err: unknown) => {
            if (!/not known/.test(String((err as Error).cause))) throw err;
          });
        await handle.executeUpdate(migrateUpdate, { args: [{ configVersion: v2.version }] });
        await until(
          () => handle.query(stateQuery),
          (v) => v.configVersion === v2.version,
        );
        const history = await env.client.workflow.getHandle('team/migrating', firstRun).fetchHistory();
        const file = path.join(outDir, `${tag}migrate-checked--team_migrating.json`);
        await fs.writeFile(file, `${historyToJSON(history)}\n`);
        process.stdout.write(`  ${file} (${history.events?.length ?? 0} events)\n`);
      });
    }

    if (wanted('call-results')) {
      const results = compileConfigText(callResultsConfigYaml, 'call-results.yaml');
      if (!results.ok) throw new Error(JSON.stringify(results.problems));
      await run(results.config, 'record-call-results', async (delivery) => {
        // A call whose answer is folded as payouts.responded and read by the next call (RESULT_EVENTS_PATCH).
        await delivery.publish([ev('won', { teamId: 'paid' }, 'won-1')]);
        await until(
          () => env.client.workflow.getHandle('team/paid').query(stateQuery),
          (v) => v.state.mailed === true && v.pendingActions === 0,
        );
        await save(env.client, 'call-results', ['team/paid']);
      });
    }

    if (wanted('workflow-actions')) {
      const prizeQueue = 'record-prizes';
      const actions = compileConfigText(workflowActionsConfigYaml(prizeQueue), 'workflow-actions.yaml');
      if (!actions.ok) throw new Error(JSON.stringify(actions.problems));
      const prizes = await Worker.create({
        connection: env.nativeConnection,
        taskQueue: prizeQueue,
        workflowsPath: path.resolve('examples/treasure-hunt/workflows/prize-fulfilment.ts'),
      });
      const prizesRun = prizes.run();
      try {
        await run(actions.config, 'record-workflow-actions', async (delivery) => {
          // Start (its id: the action's idempotency key), signal it, and its completion folded (WORKFLOW_ACTIONS_PATCH).
          await delivery.publish([ev('finished', { teamId: 'prized' }, 'fin-1')]);
          const prizeWorkflowId = 'team/prized:fin-1:fulfil:0';
          await until(
            () => env.client.workflow.getHandle(prizeWorkflowId).describe(),
            (d) => d.status.name === 'RUNNING',
          );
          await delivery.publish([ev('packed', { teamId: 'prized', prizeWorkflowId }, 'packed-1')]);
          await until(
            () => env.client.workflow.getHandle('team/prized').query(stateQuery),
            (v) => v.state.trackingId !== null && v.pendingActions === 0,
          );
          await save(env.client, 'workflow-actions', ['team/prized']);
        });
      } finally {
        prizes.shutdown();
        await prizesRun;
      }
    }

    if (wanted('compaction')) {
      const compacting = compileConfigText(
        timingConfigYaml.replace(
          'initial: { paid: false, found: [], score: 0 }',
          'initial: { paid: false, found: [], score: 0 }\n    compaction: { whenIdle: 1s, minHistory: 10 }',
        ),
        'timing-compacting.yaml',
      );
      if (!compacting.ok) throw new Error(JSON.stringify(compacting.problems));
      await run(compacting.config, 'record-compaction', async (delivery) => {
        // Events, then quiet: the run compacts into a new one (COMPACT_WHEN_IDLE_PATCH).
        for (let i = 1; i <= 8; i++) {
          await delivery.publish([ev('scanned', { teamId: 'idle', checkpoint: `cp-${i}` }, `idle-${i}`)]);
        }
        const handle = env.client.workflow.getHandle('team/idle');
        const { runId: firstRun } = await handle.describe();
        await until(
          () => handle.describe(),
          (d) => d.runId !== firstRun,
        );
        const history = await env.client.workflow.getHandle('team/idle', firstRun).fetchHistory();
        const file = path.join(outDir, `${tag}compaction--team_idle.json`);
        await fs.writeFile(file, `${historyToJSON(history)}\n`);
        process.stdout.write(`  ${file} (${history.events?.length ?? 0} events)\n`);
        // The compacted run: what it carried (state, memo, search attributes), one more event, and quiet again.
        const { runId: nextRun } = await handle.describe();
        await delivery.publish([ev('scanned', { teamId: 'idle', checkpoint: 'cp-9' }, 'idle-9')]);
        const nextHistory = await env.client.workflow.getHandle('team/idle', nextRun).fetchHistory();
        const nextFile = path.join(outDir, `${tag}compaction-next-run--team_idle.json`);
        await fs.writeFile(nextFile, `${historyToJSON(nextHistory)}\n`);
        process.stdout.write(`  ${nextFile} (${nextHistory.events?.length ?? 0} events)\n`);
      });
    }

    if (wanted('fan-out')) {
      // One event reaching two entities (alsoReaches): each folds it, the storm rule runs in the service only,
      // its emit comes back to the service and its pager call runs (issue 16).
      const incidents = await loadCompiledConfig('examples/incidents/incidents.yaml');
      await run(
        incidents,
        'record-fan-out',
        async (delivery) => {
          for (let i = 1; i <= 3; i++) {
            const data = { incidentId: 'inc-1', service: 'checkout', severity: 4 };
            await delivery.publish([{ ...ev('alert.fired', data, `alert-${i}`), source: 'monitoring' }]);
          }
          await until(
            () => env.client.workflow.getHandle('service/checkout').query(stateQuery),
            (v) => v.state.storm === true && v.pendingActions === 0,
          );
          await save(env.client, 'fan-out', ['incident/inc-1', 'service/checkout']);
        },
        { PAGER_URL: sandbox.url('mailer') },
      );
    }
    if (wanted('connector-pause')) {
      await run(timing, 'record-connector-pause', async (delivery) => {
        // A call to a paused connector waits (CONNECTOR_PAUSE_PATCH), then goes out on resume.
        await pause(env.client, 'record-connector-pause', 'connector', 'mailer');
        await delivery.publish([ev('paid', { teamId: 'held' }, 'held-paid')]);
        const handle = env.client.workflow.getHandle('team/held');
        await until(
          () => handle.describe(),
          (d) => (d.typedSearchAttributes.get(HuntWaitingOn) ?? []).includes('mailer'),
        );
        await resume(env.client, 'connector', 'mailer');
        await until(
          () => handle.query(stateQuery),
          (v) => v.pendingActions === 0,
        );
        await save(env.client, 'connector-pause', ['team/held']);
      });
    }
    if (wanted('rule-pause')) {
      await run(timing, 'record-rule-pause', async (delivery) => {
        // A run that reads the paused rules at its start (RULE_PAUSE_PATCH), then is told of a resume.
        await pause(env.client, 'record-rule-pause', 'rule', 'welcome');
        await until(
          () => env.client.workflow.count('HuntOperation = "rule-pause" AND ExecutionStatus = "Running"'),
          (c) => c.count === 1,
        );
        await new Promise((resolve) => setTimeout(resolve, 1_200));
        await delivery.publish([ev('paid', { teamId: 'quiet' }, 'quiet-paid')]);
        await resume(env.client, 'rule', 'welcome');
        await delivery.publish([ev('paid', { teamId: 'quiet' }, 'quiet-paid-2')]);
        await until(
          () => env.client.workflow.getHandle('team/quiet').query(stateQuery),
          (v) => v.pendingActions === 0 && v.eventCount === 2,
        );
        await save(env.client, 'rule-pause', ['team/quiet']);
      });
    }
    if (wanted('redrive')) {
      await run(timing, 'record-redrive', async (delivery) => {
        // A bulk redrive operation (bulkRedriveWorkflow): two dead letters, redriven one after another.
        sandbox.control('mailer', { kind: 'failWith', status: 500 });
        await delivery.publish(['r1', 'r2'].map((team) => ev('paid', { teamId: team }, `${team}-paid`)));
        const filters = redriveFiltersSchema.parse({ connector: 'mailer' });
        const targets = await until(
          () => planRedrive(env.client, filters, { taskQueue: 'record-redrive' }),
          (t) => t.length === 2,
        );
        sandbox.control('mailer', { kind: 'reset' });
        const summary = await runRedrive(env.client, { taskQueue: 'record-redrive', filters, targets });
        if (summary.redriven !== 2) throw new Error(`redrive: ${JSON.stringify(summary)}`);
        await save(env.client, 'redrive', [summary.operationId]);
      });
    }
  } finally {
    await sandbox.close();
    await env.teardown();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
