/** `npm run cluster`'s settings, from the environment once at startup (zod-validated, like src/settings). */
import path from 'node:path';
import { z } from 'zod';
import { SettingsError } from '../settings/settings.js';
import type { ClusterPorts } from './cluster-ports.js';

const port = z.coerce.number().int().min(1).max(65_535);

export const clusterSettingsSchema = z.object({
  /** Where the cluster keeps PostgreSQL's data, logs and the rendered nginx config. */
  HUNT_CLUSTER_DIR: z.string().min(1).default('.hunt-cluster'),
  HUNT_CONFIG: z.string().min(1).default('examples/treasure-hunt/hunt.yaml'),
  /** Fixed when the cluster's database is created; changing it later needs a new state directory. */
  HUNT_CLUSTER_HISTORY_SHARDS: z.coerce.number().int().min(1).max(16_384).default(4),
  HUNT_CLUSTER_POSTGRES_PORT: port.default(5432),
  HUNT_CLUSTER_TEMPORAL_PORT: port.default(7233),
  HUNT_CLUSTER_UI_PORT: port.default(8080),
  HUNT_CLUSTER_INGEST_PORT: port.default(3000),
});

export interface ClusterSettings {
  stateDir: string;
  configPath: string;
  historyShards: number;
  ports: Partial<ClusterPorts>;
}

/** Builds the cluster settings; throws SettingsError naming each bad variable. */
export function loadClusterSettings(env: Record<string, string | undefined> = process.env, cwd = process.cwd()) {
  const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = clusterSettingsSchema.safeParse(defined);
  if (!parsed.success) {
    throw new SettingsError(
      parsed.error.issues.map((issue) => ({ variable: issue.path.map(String).join('.'), message: issue.message })),
    );
  }
  const raw = parsed.data;
  return {
    stateDir: path.resolve(cwd, raw.HUNT_CLUSTER_DIR),
    configPath: path.resolve(cwd, raw.HUNT_CONFIG),
    historyShards: raw.HUNT_CLUSTER_HISTORY_SHARDS,
    ports: {
      postgres: raw.HUNT_CLUSTER_POSTGRES_PORT,
      frontend: raw.HUNT_CLUSTER_TEMPORAL_PORT,
      ui: raw.HUNT_CLUSTER_UI_PORT,
      loadBalancer: raw.HUNT_CLUSTER_INGEST_PORT,
      ingest: [raw.HUNT_CLUSTER_INGEST_PORT + 1, raw.HUNT_CLUSTER_INGEST_PORT + 2],
    },
  } satisfies ClusterSettings;
}
