/**
 * `npm run cluster`: the docker-compose topology without Docker, in the foreground (src/cluster/cluster.ts).
 * Ctrl-C or SIGTERM stops every part in reverse order and leaves no process.
 */
import { startCluster, type Cluster } from './cluster.js';
import { clusterBanner } from './cluster-banner.js';
import { defaultClusterPorts } from './cluster-ports.js';
import { loadClusterSettings } from './cluster-settings.js';

const log = (message: string) => process.stderr.write(`${message}\n`);
let cluster: Cluster | undefined;
let stopping: Promise<void> | undefined;

function stop(reason: string): Promise<void> {
  stopping ??= (async () => {
    log(`\nStopping the cluster (${reason})…`);
    await cluster?.stop();
    log('Cluster stopped; no process left running.');
  })();
  return stopping;
}

async function main(): Promise<void> {
  const settings = loadClusterSettings();
  const startedAt = Date.now();
  const ports = { ...defaultClusterPorts(), ...settings.ports };
  cluster = await startCluster({
    stateDir: settings.stateDir,
    ports,
    configPath: settings.configPath,
    historyShards: settings.historyShards,
    log,
  });
  process.stdout.write(clusterBanner(cluster, Date.now() - startedAt));
  // A part that dies on its own is reported; the rest keeps running (as compose would, without restart).
  for (const part of cluster.all()) {
    void part.whenExited().then(() => {
      if (!stopping) log(`${part.name} exited (${part.exitStatus}); see ${part.spec.logFile}`);
    });
  }
  await new Promise<void>(() => undefined);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void stop(signal).then(() => process.exit(0));
  });
}

main().catch(async (err: unknown) => {
  const known = err instanceof Error && 'code' in err && typeof err.code === 'string';
  process.stderr.write(
    `\n${known ? (err as Error).message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  await stop('startup failed');
  process.exit(1);
});
