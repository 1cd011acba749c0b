/**
 * Compiled configurations by version. The worker's current version is what new entity runs pick
 * up; older versions stay readable (memory, then `<stateDir>/configs/<version>.json`) so an
 * explicit `hunt migrate --to <version>` can target any version this deployment has seen.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { CompiledConfig } from '../config/compiled.js';

export class UnknownConfigVersionError extends Error {
  override readonly name = 'UnknownConfigVersionError';
  readonly code = 'CONFIG_VERSION_UNKNOWN';
  constructor(version: string, dir: string | undefined) {
    super(
      `Config version ${version} is not known to this worker${dir ? ` (looked in memory and ${dir})` : ''}. ` +
        'Deploy a worker with that configuration, or migrate to a version it has.',
    );
  }
}

export class ConfigStore {
  private readonly versions = new Map<string, CompiledConfig>();
  private currentVersion: string;

  constructor(
    current: CompiledConfig,
    private readonly dir?: string,
  ) {
    this.currentVersion = current.version;
    this.versions.set(current.version, current);
  }

  /** The version new entity runs start with. */
  get current(): CompiledConfig {
    return this.versions.get(this.currentVersion)!;
  }

  /** Makes `config` current and remembers it on disk (when the store has a directory). */
  async publish(config: CompiledConfig): Promise<void> {
    this.versions.set(config.version, config);
    this.currentVersion = config.version;
    await this.persist(config);
  }

  /** Writes a version to the store directory, so other processes and later runs can read it. */
  async persist(config: CompiledConfig): Promise<void> {
    if (!this.dir) return;
    await fs.mkdir(this.dir, { recursive: true });
    const file = path.join(this.dir, `${config.version}.json`);
    const temp = `${file}.${process.pid}.tmp`;
    await fs.writeFile(temp, JSON.stringify(config));
    await fs.rename(temp, file);
  }

  /** A version by id: memory first, then the store directory; throws UnknownConfigVersionError. */
  async get(version?: string): Promise<CompiledConfig> {
    if (version === undefined) return this.current;
    const known = this.versions.get(version);
    if (known) return known;
    if (this.dir) {
      try {
        const config = JSON.parse(await fs.readFile(path.join(this.dir, `${version}.json`), 'utf8')) as CompiledConfig;
        this.versions.set(version, config);
        return config;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    throw new UnknownConfigVersionError(version, this.dir);
  }
}
