/**
 * Compiled configurations by version, as one worker sees them. The current version is what new entity
 * runs pick up; any other version is read through the registry (Temporal itself, see config-registry.ts)
 * and kept in memory, so every worker of a deployment can run every version an entity is pinned to.
 */
import type { CompiledConfig } from '../config/compiled.js';
import type { ConfigVersionRegistry } from './config-registry.js';

export class UnknownConfigVersionError extends Error {
  override readonly name = 'UnknownConfigVersionError';
  readonly code = 'CONFIG_VERSION_UNKNOWN';
  constructor(
    readonly version: string,
    where: string | undefined,
  ) {
    super(
      `Config version ${version} is not known to this deployment (looked in this worker's memory` +
        `${where ? ` and in ${where}` : ''}). Deploy a worker with that configuration, or migrate to a version it has.`,
    );
  }
}

export class ConfigStore {
  private readonly versions = new Map<string, CompiledConfig>();
  private currentVersion: string;

  /** `registry` absent: only the versions given to this process (tests, benchmarks). */
  constructor(
    current: CompiledConfig,
    private readonly registry?: ConfigVersionRegistry,
  ) {
    this.currentVersion = current.version;
    this.versions.set(current.version, current);
  }

  /** The version new entity runs start with. */
  get current(): CompiledConfig {
    return this.versions.get(this.currentVersion)!;
  }

  /** Makes `config` current and records it in the registry, so every worker can load it. */
  async publish(config: CompiledConfig): Promise<void> {
    this.versions.set(config.version, config);
    this.currentVersion = config.version;
    await this.registry?.publish(config);
  }

  /** A version by id: memory first, then the registry; throws UnknownConfigVersionError. */
  async get(version?: string): Promise<CompiledConfig> {
    if (version === undefined) return this.current;
    const known = this.versions.get(version);
    if (known) return known;
    const read = await this.registry?.read(version);
    if (read) {
      this.versions.set(version, read);
      return read;
    }
    throw new UnknownConfigVersionError(version, this.registry?.where);
  }
}
