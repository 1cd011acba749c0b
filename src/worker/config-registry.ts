/**
 * Config versions held by Temporal itself: each version is the start input of a workflow
 * `hunt.config/<version>` (workflows/config-version-workflow.ts) that stays open, so its history is kept
 * as long as the namespace exists. Any worker of the deployment reads any version from there, whichever
 * process published it and after every process was replaced; the deployment needs no store besides
 * Temporal, and `hunt migrate --to` can check a version exists before asking an entity to move.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { CompiledConfig } from '../config/compiled.js';
import {
  CONFIG_VERSION_ID_PREFIX,
  CONFIG_VERSION_WORKFLOW_TYPE,
  configVersionWorkflowId,
  type ConfigVersionInput,
} from '../contract/messages.js';

/** Where versions live durably; ConfigStore reads through it. */
export interface ConfigVersionRegistry {
  /** Records a version (idempotent: an existing record is kept). */
  publish(config: CompiledConfig): Promise<void>;
  /** A version's compiled config, or undefined when the deployment has no such version. */
  read(version: string): Promise<CompiledConfig | undefined>;
  /** Where it looks, for error messages. */
  readonly where: string;
}

/** A version in the registry, as `hunt config versions` lists it. */
export interface RegisteredVersion {
  version: string;
  name?: string;
  publishedAt?: string;
  status: string;
}

/** gRPC NOT_FOUND. */
const NOT_FOUND = 5;

function isNotFound(err: unknown): boolean {
  return err instanceof WorkflowNotFoundError || (err as { code?: number } | undefined)?.code === NOT_FOUND;
}

/** Reads and writes config versions as `hunt.config/<version>` workflows on the engine's task queue. */
export class TemporalConfigRegistry implements ConfigVersionRegistry {
  readonly where: string;

  constructor(
    private readonly client: Client,
    private readonly taskQueue?: string,
  ) {
    this.where = `Temporal (workflows ${CONFIG_VERSION_ID_PREFIX}<version> in namespace ${client.options.namespace})`;
  }

  async publish(config: CompiledConfig): Promise<void> {
    if (this.taskQueue === undefined) throw new Error('a registry that publishes needs the engine task queue');
    await this.client.workflow.start(CONFIG_VERSION_WORKFLOW_TYPE, {
      workflowId: configVersionWorkflowId(config.version),
      taskQueue: this.taskQueue,
      args: [{ config } satisfies ConfigVersionInput],
      // Running already: keep it. Closed (terminated by hand): record the version again.
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      memo: { configName: config.name, version: config.version, publishedAt: new Date().toISOString() },
    });
  }

  async read(version: string): Promise<CompiledConfig | undefined> {
    let history;
    try {
      history = await this.client.workflow.getHandle(configVersionWorkflowId(version)).fetchHistory();
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    const input = payload ? defaultPayloadConverter.fromPayload<ConfigVersionInput>(payload) : undefined;
    if (input?.config?.version !== version) {
      throw new Error(`${configVersionWorkflowId(version)} does not hold config version ${version}`);
    }
    return input.config;
  }

  /** Every version recorded in the namespace, newest first (through visibility). */
  async list(): Promise<RegisteredVersion[]> {
    const out: RegisteredVersion[] = [];
    for await (const wf of this.client.workflow.list({ query: `WorkflowType = "${CONFIG_VERSION_WORKFLOW_TYPE}"` })) {
      const memo = (wf.memo ?? {}) as { configName?: string; publishedAt?: string };
      out.push({
        version: wf.workflowId.slice(CONFIG_VERSION_ID_PREFIX.length),
        ...(memo.configName !== undefined && { name: memo.configName }),
        ...(memo.publishedAt !== undefined && { publishedAt: memo.publishedAt }),
        status: wf.status.name,
      });
    }
    return out;
  }

  /**
   * Records the versions an earlier release kept as files (`<stateDir>/configs/<version>.json`), so entities
   * pinned to them keep running after the upgrade. Returns the versions found.
   */
  async importDirectory(dir: string): Promise<string[]> {
    let files: string[];
    try {
      files = (await fs.readdir(dir)).filter((f) => f.endsWith('.json'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const imported: string[] = [];
    for (const file of files) {
      const config = JSON.parse(await fs.readFile(path.join(dir, file), 'utf8')) as CompiledConfig;
      if (typeof config.version !== 'string') continue;
      await this.publish(config);
      imported.push(config.version);
    }
    return imported;
  }
}
