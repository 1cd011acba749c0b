/**
 * The engine's own activities: hand the workflow its compiled config (recorded in history, so replay
 * never depends on what is on disk) and deliver `emit`ted events to their target entities.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { CompiledConfig } from '../src/config/compiled.js';
import { configVersionMissing } from '../src/metrics/engine-metrics.js';
import type { EngineEvent } from '../src/rules/types.js';
import { createEventValidator } from '../src/config/event-validator.js';
import type { EventValidator } from '../src/config/event-validator.js';
import type { ConfigStore } from '../src/worker/config-store.js';
import { UnknownConfigVersionError } from '../src/worker/config-store.js';
import { pausedRuleIds } from './connector-pause-check.js';

/** What the `runStart` local activity hands a run when it starts. */
export interface RunStart {
  config: CompiledConfig;
  pausedRules: string[];
}

/**
 * What the `nextRunStart` local activity hands a run about to continue as new (CARRY_RUN_START_PATCH): the next
 * run's config version, its config only when that is not the version the run already holds (the run carries its
 * own), and the rules paused now.
 */
export interface NextRunStart {
  configVersion: string;
  config?: CompiledConfig;
  pausedRules: string[];
}

export interface EngineActivityDeps {
  configStore: ConfigStore;
  /** Delivers events to entity workflows (signal-with-start); EntityDelivery in production. */
  deliverer: { send(events: EngineEvent[]): Promise<unknown> };
}

/** Creates the engine activities bound to their dependencies. */
export function createEngineActivities(deps: EngineActivityDeps) {
  // One validator per config version (ajv compiles each schema once); versions are few and immutable.
  const validators = new Map<string, Promise<EventValidator>>();
  const validatorOf = (version: string): Promise<EventValidator> => {
    let validator = validators.get(version);
    if (!validator) {
      validator = deps.configStore.get(version).then(createEventValidator);
      void validator.catch(() => validators.delete(version));
      validators.set(version, validator);
    }
    return validator;
  };
  /** The rules paused now (their pause records, from visibility). */
  const pausedRules = async (): Promise<string[]> => {
    let client;
    try {
      client = Context.current().client;
    } catch {
      return [];
    }
    return await pausedRuleIds(client);
  };
  /** The compiled config of a version (default: the worker's current one). */
  const getConfig = async (input: { version?: string | undefined }): Promise<CompiledConfig> => {
    try {
      return await deps.configStore.get(input.version);
    } catch (err) {
      if (err instanceof UnknownConfigVersionError) {
        // The workflow turns this into a workflow-task failure: the entity waits and its task retries.
        configVersionMissing.inc({ version: err.version });
        Context.current().log.error('config version missing: the entity waits until a worker has it', {
          configVersion: err.version,
          error: err.message,
        });
        throw ApplicationFailure.nonRetryable(err.message, err.code);
      }
      throw err;
    }
  };
  return {
    /** The paused rules, read at the start of runs from before RUN_START_PATCH (they replay it). */
    pausedRules,
    /** A config version: the start of runs from before RUN_START_PATCH, and `migrate --to` checking its target. */
    getConfig,

    /**
     * What a run needs before its first event, in one local activity (RUN_START_PATCH): its config version and
     * the rules paused now. One call instead of two is one activation less each time the run is replayed, which
     * is what an event to an entity the worker does not hold costs.
     */
    async runStart(input: { version?: string | undefined }): Promise<RunStart> {
      const [config, paused] = await Promise.all([getConfig(input), pausedRules()]);
      return { config, pausedRules: paused };
    },

    /**
     * What the next run needs, read by the run that continues as new (CARRY_RUN_START_PATCH) and handed on in
     * the next run's input, so the next run starts without a local activity of its own. `known` is the version the
     * run holds: that config is not returned (the run carries it), so the marker stays small.
     */
    async nextRunStart(input: { version?: string | undefined; known: string }): Promise<NextRunStart> {
      const [config, paused] = await Promise.all([getConfig(input), pausedRules()]);
      return {
        configVersion: config.version,
        ...(config.version !== input.known && { config }),
        pausedRules: paused,
      };
    },

    /**
     * Delivers emitted events to their entities; ids are stable, so a retried emit is deduped downstream.
     * Given the emitting run's config version, each event is first checked as ingest would check it (schema,
     * routing): a bad one fails for good (`EmittedEventInvalid`), which the workflow dead-letters, explained.
     */
    async emitEvents(input: { events: EngineEvent[]; configVersion?: string }): Promise<{ delivered: number }> {
      if (input.configVersion !== undefined) {
        const validator = await validatorOf(input.configVersion);
        for (const event of input.events) {
          const problems = validator.validateEmitted(event);
          if (problems.length === 0) continue;
          const details = problems.map((p) => `${p.pointer || '(event)'} ${p.detail}`).join('; ');
          throw ApplicationFailure.nonRetryable(
            `emitted event "${event.type}" (${event.id}) would be rejected: ${details}. Fix the emit's data in the rule, or the event's schema`,
            'EmittedEventInvalid',
            { problems },
          );
        }
      }
      await deps.deliverer.send(input.events);
      return { delivered: input.events.length };
    },
  };
}
