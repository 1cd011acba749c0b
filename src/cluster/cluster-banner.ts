/** The banner `npm run cluster` prints once every part is up: what runs where, and one event to send. */
import path from 'node:path';
import { exampleCurl } from '../startup-banner.js';
import { loadSettings } from '../settings/settings.js';
import { TEMPORAL_SERVER_VERSION, TEMPORAL_UI_SERVER_VERSION } from './cluster-binaries.js';
import { clusterFiles, repoRoot, type Cluster } from './cluster.js';

/** Formats the banner. */
export function clusterBanner(cluster: Cluster, startedInMs: number): string {
  const pid = (p: { pid: number | undefined }) => `pid ${p.pid ?? '-'}`;
  const rel = (file: string) => {
    const relative = path.relative(repoRoot, file);
    return relative.startsWith('..') ? file : relative;
  };
  const settings = loadSettings({
    TEMPORAL_ADDRESS: cluster.address,
    HUNT_PORT: String(cluster.ports.loadBalancer),
  });
  const curl = exampleCurl({ settings, config: cluster.config, env: cluster.engineEnv });
  const lines = [
    '',
    `  Treasure Hunt Engine cluster is running — config "${cluster.config.name}" version ${cluster.config.version}` +
      ` (up in ${(startedInMs / 1000).toFixed(1)} s)`,
    '',
    `  Ingest API (nginx)  ${cluster.ingestUrl}  → ${cluster.ports.ingest.map((p) => `127.0.0.1:${p}`).join(', ')}  (live map at /)`,
    ...cluster.ingest.map((p, i) => `    ${p.name.padEnd(17)} 127.0.0.1:${cluster.ports.ingest[i]}  ${pid(p)}`),
    ...cluster.workers.map((p) => `    ${p.name.padEnd(17)} task queue ${cluster.taskQueue}  ${pid(p)}`),
    `  Temporal Web UI     ${cluster.uiUrl}/namespaces/${cluster.namespace}/workflows  (ui-server ${TEMPORAL_UI_SERVER_VERSION})`,
    `  Temporal server     ${cluster.address}  ${TEMPORAL_SERVER_VERSION}, ${cluster.historyShards} history shards, ` +
      `PostgreSQL persistence + visibility  ${pid(cluster.temporal)}`,
    `  PostgreSQL          127.0.0.1:${cluster.ports.postgres}  data in ${rel(path.join(cluster.stateDir, 'postgres'))}  ${pid(cluster.postgres)}`,
    ...(cluster.sandbox
      ? [`  Sandbox partners    http://127.0.0.1:${cluster.ports.sandbox}/_requests  ${pid(cluster.sandbox)}`]
      : []),
    '',
    `  Same files as docker-compose.yml: ${rel(clusterFiles.serverConfig)}, ${rel(clusterFiles.dynamicConfig)},`,
    `    ${rel(clusterFiles.nginxTemplate)} (rendered into ${rel(path.join(cluster.stateDir, 'nginx'))})`,
    `  Logs                ${rel(path.join(cluster.stateDir, 'logs'))}/`,
  ];
  if (curl) lines.push('', '  Send an event:', `    ${curl}`);
  lines.push(
    '',
    '  Stop with Ctrl-C: every process stops (data stays in the state directory; delete it to start afresh).',
    '',
  );
  return `${lines.join('\n')}\n`;
}
