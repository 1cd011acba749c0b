/** The ports of the cluster's parts: compose's well-known ones, or free ones for tests. */
import net from 'node:net';

export interface ClusterPorts {
  postgres: number;
  /** Temporal frontend gRPC (TEMPORAL_ADDRESS), its HTTP API and membership port. */
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
  /** The server's Prometheus metrics. */
  metrics: number;
  ui: number;
  sandbox: number;
  /** The sandbox's mail server (the reference config's `certificates` connector). */
  sandboxSmtp: number;
  /** One port per ingest instance. */
  ingest: number[];
  /** nginx, in front of the ingest instances: the usual ingest port. */
  loadBalancer: number;
}

/** The ports docker-compose.yml publishes and Temporal's defaults (7233, 6933, …). */
export function defaultClusterPorts(ingestInstances = 2): ClusterPorts {
  return {
    postgres: 5432,
    frontend: 7233,
    frontendHttp: 7243,
    frontendMembership: 6933,
    history: 7234,
    historyMembership: 6934,
    matching: 7235,
    matchingMembership: 6935,
    worker: 7239,
    workerMembership: 6939,
    metrics: 8000,
    ui: 8080,
    sandbox: 3100,
    sandboxSmtp: 2525,
    ingest: Array.from({ length: ingestInstances }, (_, i) => 3001 + i),
    loadBalancer: 3000,
  };
}

/** Membership ports are kept in a SMALLINT column by the SQL persistence: they must stay below 32,768. */
const membershipPorts = new Set<keyof ClusterPorts>([
  'frontendMembership',
  'historyMembership',
  'matchingMembership',
  'workerMembership',
]);

/** A TCP port free on 127.0.0.1 a moment ago: any (0), or a random one in [20000, 32767] when `low`. */
function freePort(low = false): Promise<number> {
  const wanted = low ? 20_000 + Math.floor(Math.random() * 12_768) : 0;
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(freePort(low)));
    server.listen(wanted, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Every port free, distinct from one another (for tests beside other servers on the machine). */
export async function freeClusterPorts(ingestInstances = 2): Promise<ClusterPorts> {
  const taken = new Set<number>();
  const next = async (low = false): Promise<number> => {
    for (;;) {
      const port = await freePort(low);
      if (!taken.has(port)) {
        taken.add(port);
        return port;
      }
    }
  };
  const ports = defaultClusterPorts(ingestInstances);
  for (const key of Object.keys(ports) as Array<keyof ClusterPorts>) {
    if (key === 'ingest') ports.ingest = await Promise.all(ports.ingest.map(() => next()));
    else ports[key] = await next(membershipPorts.has(key));
  }
  return ports;
}

/** Ports of the list that something already listens on. */
export async function portsInUse(ports: ClusterPorts): Promise<number[]> {
  const all: number[] = (Object.values(ports) as Array<number | number[]>).flat();
  const inUse = await Promise.all(
    all.map(
      (port) =>
        new Promise<boolean>((resolve) => {
          const socket = net.connect({ port, host: '127.0.0.1' });
          socket.setTimeout(1_000);
          socket.once('connect', () => {
            socket.destroy();
            resolve(true);
          });
          socket.once('timeout', () => {
            socket.destroy();
            resolve(false);
          });
          socket.once('error', () => resolve(false));
        }),
    ),
  );
  return all.filter((_, i) => inUse[i]);
}
