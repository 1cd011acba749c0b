/**
 * The entity workflow: one per entity (`<entityType>/<key>`); its history is the entity's event log.
 * It only wires Temporal to plain classes: signals, updates and queries to the run (`EntityRun`: inbox,
 * drain, park/wake, continue-as-new), which drives the pure EntityMachine (src/rules) and the ActionRunner.
 * Nothing that reaches it fails the workflow (`task-failure.ts`): updates are validated before they are
 * accepted, and what cannot be handled fails the workflow task, which retries.
 */
import {
  ApplicationFailure,
  makeContinueAsNewFunc,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { CompiledConfig } from '../src/config/compiled.js';
import type { EngineActivities } from '../activities/index.js';
import { checkCarriedStart, EntityRun, publishProblem, type EntityOutcome } from './entity-run.js';
import {
  type EntityWorkflowInput,
  deadLettersQuery,
  eventSignal,
  eventsQuery,
  firingsQuery,
  migrateUpdate,
  publishUpdate,
  redriveUpdate,
  stateQuery,
  timersQuery,
  tracesQuery,
} from '../src/contract/messages.js';
import { asTaskFailure, EntityTaskError, guarded } from './task-failure.js';
import { followRulePauses, type PauseSignals } from './rule-pauses.js';
import { RunPatches } from './run-patches.js';

export {
  BOUNDED_RUNS_PATCH,
  ENDED_LINGER_MS,
  HANDLE_INBOX_BEFORE_CONTINUE_PATCH,
  INLINE_DELIVERY_PATCH,
  LANGUAGE_SEMANTICS_PATCH,
  MAX_EVENTS_PER_RUN,
  MAX_HISTORY_PER_RUN,
  type EntityOutcome,
} from './entity-run.js';
export { CARRY_RUN_START_PATCH, RUN_START_PATCH } from './run-patches.js';

/**
 * Patch id: `migrate --to <version>` loads the target before it answers, and refuses a version no worker
 * can get, so a mistyped version is an error for the operator instead of a next run that cannot start.
 */
export const CHECK_MIGRATE_TARGET_PATCH = 'check-migrate-target';

/**
 * Compiled configs by version, shared by the workflows of this worker thread: a config is immutable and
 * pinned per run, so a thousand cached entities hold one copy instead of a thousand. Bounded.
 */
const sharedConfigs = new Map<string, CompiledConfig>();
const SHARED_CONFIGS_MAX = 8;

function shared(config: CompiledConfig): CompiledConfig {
  const known = sharedConfigs.get(config.version);
  if (known) return known;
  if (sharedConfigs.size >= SHARED_CONFIGS_MAX) sharedConfigs.delete(sharedConfigs.keys().next().value!);
  sharedConfigs.set(config.version, deepFreeze(config));
  return config;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

const { getConfig, nextRunStart, runStart } = proxyLocalActivities<EngineActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 10, initialInterval: '200 milliseconds' },
});

/** The reason a config version could not be had, from the activity's failure. */
function configFailure(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : err instanceof Error ? err.message : String(err);
}

/** The entity workflow. */
export async function entityWorkflow(input: EntityWorkflowInput): Promise<EntityOutcome> {
  let next: EntityWorkflowInput;
  let patches: RunPatches;
  try {
    checkCarriedStart(input.start, `${input.entityType}/${input.key}`);
    patches = RunPatches.atRunStart(input);
    const run = new EntityRun(input, patches);
    // Handlers first, before any await: signals and updates that came with the start are not lost.
    setHandler(
      eventSignal,
      guarded((batch) => run.receive(batch)),
    );
    setHandler(publishUpdate, ({ events }) => run.publish(events), {
      validator: (batch) => {
        const problem = publishProblem(batch);
        if (problem) throw new Error(problem);
      },
    });
    // Queries answer from the carried state until the config is loaded (right after continue-as-new).
    setHandler(stateQuery, () => run.view());
    setHandler(eventsQuery, () => run.events());
    setHandler(tracesQuery, (filter) => run.traces(filter?.eventId));
    setHandler(firingsQuery, () => run.firings());
    setHandler(deadLettersQuery, () => run.deadLetters());
    setHandler(timersQuery, () => run.timers());

    let config: CompiledConfig;
    /**
     * The paused rules read with the config (RUN_START_PATCH) or handed on with it (CARRY_RUN_START_PATCH);
     * undefined: read after it, in a call of their own.
     */
    let pausedAtStart: string[] | undefined;
    try {
      if (input.start) {
        // Read by the previous run just before it continued as new: nothing to ask, nothing recorded.
        config = shared(input.start.config);
        pausedAtStart = input.start.pausedRules;
      } else if (patches.current) {
        const start = await runStart({ version: input.configVersion });
        config = shared(start.config);
        pausedAtStart = start.pausedRules;
      } else {
        config = shared(await getConfig({ version: input.configVersion }));
      }
    } catch (err) {
      // A version this worker cannot get: the task fails and retries until a worker that has it takes it.
      throw new EntityTaskError(`config version ${input.configVersion ?? '(current)'}: ${configFailure(err)}`);
    }
    run.load(config, workflowInfo().taskQueue);

    setHandler(redriveUpdate, ({ deadLetterId }) => run.redrive(deadLetterId), {
      validator: (request) => {
        const problem = run.redriveProblem((request as { deadLetterId?: unknown } | undefined)?.deadLetterId);
        if (problem) throw new Error(problem);
      },
    });
    setHandler(
      migrateUpdate,
      async ({ configVersion }) => {
        if (
          configVersion !== undefined &&
          configVersion !== config.version &&
          patches.has(CHECK_MIGRATE_TARGET_PATCH)
        ) {
          try {
            await getConfig({ version: configVersion });
          } catch (err) {
            throw ApplicationFailure.nonRetryable(configFailure(err), 'ConfigVersionUnknown');
          }
        }
        return run.migrate(configVersion);
      },
      {
        validator: (request) => {
          const version = (request as { configVersion?: unknown } | undefined)?.configVersion;
          if (version !== undefined && (typeof version !== 'string' || !/^[\w.-]{1,100}$/.test(version)))
            throw new Error(`${JSON.stringify(version)} is not a config version (letters, digits, ".", "_", "-")`);
        },
      },
    );
    const pauseSignals = await followRulePauses((ruleIds) => run.pauseRules(ruleIds), pausedAtStart);
    let nextStart: NextStart | undefined;
    run.beforeContinueAsNew = () => {
      if (!patches.carriesRunStart()) return undefined;
      return readNextStart(run.nextConfigVersion, config, pauseSignals).then((read) => {
        nextStart = read;
      });
    };
    run.start();
    const end = await run.runToBoundary();
    if (end.kind === 'ended') return end.outcome;
    next = nextStart ? withStart(end.next, nextStart, run, pauseSignals) : end.next;
  } catch (err) {
    throw asTaskFailure(err);
  }
  // Continue-as-new carries the search attributes over but not the memo: a current run hands its memo on, so
  // that the next run need not write it again (RUN_START_PATCH).
  const memo = patches.current ? workflowInfo().memo : undefined;
  return makeContinueAsNewFunc<typeof entityWorkflow>(memo ? { memo } : {})(next);
}

/** What the next run starts with, as read before the run continued as new (CARRY_RUN_START_PATCH). */
interface NextStart {
  configVersion: string;
  config: CompiledConfig;
  pausedRules: string[];
  /** How many `rulePauses` signals the run had had when the read began. */
  signalsBefore: number;
}

/**
 * Reads what the next run starts with: its config version (the migration's target, else the worker's current
 * one), that config (the one this run holds when the version stays) and the rules paused now.
 */
async function readNextStart(
  version: string | undefined,
  config: CompiledConfig,
  pauseSignals: PauseSignals,
): Promise<NextStart> {
  const signalsBefore = pauseSignals();
  try {
    const read = await nextRunStart({ version, known: config.version });
    return {
      configVersion: read.configVersion,
      config: read.config ?? config,
      pausedRules: read.pausedRules,
      signalsBefore,
    };
  } catch (err) {
    // As at a run's start: the task fails and retries until a worker that has the version takes it.
    throw new EntityTaskError(`config version ${version ?? '(current)'}: ${configFailure(err)}`);
  }
}

/**
 * The next run's input with its start; a `rulePauses` signal since the read gave the newer set of paused rules.
 * A migration asked since the read (to another version) gets no start: the next run reads its own.
 */
function withStart(
  next: EntityWorkflowInput,
  read: NextStart,
  run: EntityRun,
  pauseSignals: PauseSignals,
): EntityWorkflowInput {
  if (next.configVersion !== undefined && next.configVersion !== read.configVersion) return next;
  const pausedRules = pauseSignals() === read.signalsBefore ? read.pausedRules : run.pausedRules;
  return { ...next, configVersion: read.configVersion, start: { config: read.config, pausedRules } };
}
