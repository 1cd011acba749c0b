/**
 * Apache Kafka for local development and tests, without Docker: the broker's jars resolved from Maven
 * Central with Maven (`org.apache.kafka:kafka_2.13` and its runtime dependencies) into the project's build
 * cache, and a single-node broker in KRaft mode (broker and controller in one JVM) on loopback ports.
 * `npm run kafka:provision` resolves it ahead of time (CI does); the test helper does it on demand.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { EngineError } from '../contract/engine-error.js';
import { runCollecting } from './go-install.js';
import { defaultCacheRoot } from './temporal-cli.js';

/** The broker release; 4.x is KRaft only (no ZooKeeper) and runs on Java 17. */
export const KAFKA_VERSION = '4.1.1';
const SCALA = '2.13';
const LOG4J_VERSION = '2.24.3';

export interface KafkaProvisionOptions {
  env?: Record<string, string | undefined> | undefined;
  cacheRoot?: string | undefined;
  version?: string;
  log?: (message: string) => void;
}

/** Provisioning or starting the broker failed; the message says what to install or look at. */
export class KafkaBrokerError extends EngineError {
  override readonly name = 'KafkaBrokerError';
  readonly code = 'KAFKA_BROKER_FAILED';
}

/** Where one version's jars live: `<cache>/kafka-<version>/lib`. */
export function kafkaCacheDir(options: Pick<KafkaProvisionOptions, 'env' | 'cacheRoot' | 'version'> = {}): string {
  const root = options.cacheRoot ?? defaultCacheRoot(options.env ?? process.env);
  return path.join(root, `kafka-${options.version ?? KAFKA_VERSION}`);
}

/** The POM Maven resolves: the broker, and a log4j binding so the broker's log says what went wrong. */
function brokerPom(version: string): string {
  const dependency = (group: string, artifact: string, v: string) =>
    `<dependency><groupId>${group}</groupId><artifactId>${artifact}</artifactId><version>${v}</version></dependency>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>treasure-hunt.local</groupId>
  <artifactId>kafka-broker</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    ${dependency('org.apache.kafka', `kafka_${SCALA}`, version)}
    ${dependency('org.apache.logging.log4j', 'log4j-slf4j-impl', LOG4J_VERSION)}
  </dependencies>
</project>
`;
}

/** The broker's classpath (`<dir>/lib/*`), resolving the jars with Maven first when they are not cached. */
export async function provisionKafka(
  options: KafkaProvisionOptions = {},
): Promise<{ classpath: string; origin: 'cache' | 'maven' }> {
  const env = options.env ?? process.env;
  const version = options.version ?? KAFKA_VERSION;
  const log = options.log ?? (() => undefined);
  const dir = kafkaCacheDir({ env, version, cacheRoot: options.cacheRoot });
  const lib = path.join(dir, 'lib');
  const classpath = `${lib}${path.sep}*`;
  if (await exists(path.join(lib, `kafka_${SCALA}-${version}.jar`))) return { classpath, origin: 'cache' };

  // Resolve into a private directory, then rename: two processes provisioning at once never see half a lib.
  const staging = `${dir}.resolve-${process.pid}`;
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(staging, { recursive: true });
  await fs.writeFile(path.join(staging, 'pom.xml'), brokerPom(version));
  log(`Resolving Apache Kafka ${version} (kafka_${SCALA}) from Maven Central into ${dir} …`);
  const started = Date.now();
  const progress = setInterval(
    () => log(`  … still resolving Kafka (${Math.round((Date.now() - started) / 1000)} s)`),
    15_000,
  );
  const { code, output } = await runCollecting(
    env.MAVEN_PATH ?? 'mvn',
    [
      '-B',
      '-q',
      '-f',
      path.join(staging, 'pom.xml'),
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${path.join(staging, 'lib')}`,
    ],
    env,
    () => undefined,
  )
    .catch((err: unknown) => ({ code: -1, output: err instanceof Error ? err.message : String(err) }))
    .finally(() => clearInterval(progress));
  if (code !== 0) {
    await fs.rm(staging, { recursive: true, force: true });
    throw new KafkaBrokerError(
      `Could not resolve Apache Kafka ${version} with Maven (exit ${code}). Install Maven and a JDK 17+ ` +
        `(apt-get install maven openjdk-17-jdk-headless), or set MAVEN_PATH.\n${output.trim()}`,
    );
  }
  await fs.mkdir(dir, { recursive: true });
  await fs.rm(lib, { recursive: true, force: true });
  await fs.rename(path.join(staging, 'lib'), lib).catch(async (err: unknown) => {
    // Another process won the race: its lib is as good as ours.
    if (!(await exists(path.join(lib, `kafka_${SCALA}-${version}.jar`)))) throw err;
  });
  await fs.rm(staging, { recursive: true, force: true });
  log(`Resolved Apache Kafka ${version} in ${Math.round((Date.now() - started) / 1000)} s → ${lib}`);
  return { classpath, origin: 'maven' };
}

export interface KafkaBrokerOptions extends KafkaProvisionOptions {
  /** Directory for the broker's log segments and metadata (made if missing; formatted on first start). */
  dataDir: string;
  /** Client port on 127.0.0.1 (default: a free one). */
  port?: number;
  /** Controller (KRaft quorum) port on 127.0.0.1 (default: a free one). */
  controllerPort?: number;
  /** Default partitions of an auto-created topic (default 1). */
  partitions?: number;
  /** JVM heap cap (default 512m: the machine is shared with Temporal and the tests). */
  heap?: string;
  /** How long to wait for the broker to listen (default 90 s). */
  startTimeoutMs?: number;
}

export interface KafkaBroker {
  /** `127.0.0.1:<port>`, for a client's `brokers`. */
  address: string;
  port: number;
  dataDir: string;
  /** Stops the broker (SIGTERM, then SIGKILL after 10 s). */
  stop(): Promise<void>;
}

/** Starts a single-node KRaft broker on loopback; resolves once it accepts connections. */
export async function startKafkaBroker(options: KafkaBrokerOptions): Promise<KafkaBroker> {
  const env = options.env ?? process.env;
  const java = env.JAVA_PATH ?? 'java';
  const { classpath } = await provisionKafka(options);
  const port = options.port ?? (await freeLoopbackPort());
  const controllerPort = options.controllerPort ?? (await freeLoopbackPort());
  const dataDir = path.resolve(options.dataDir);
  await fs.mkdir(dataDir, { recursive: true });
  const propertiesFile = path.join(dataDir, 'server.properties');
  await fs.writeFile(
    propertiesFile,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name=PLAINTEXT',
      `log.dirs=${path.join(dataDir, 'logs')}`,
      `num.partitions=${options.partitions ?? 1}`,
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=3',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      // A consumer group forms at once instead of waiting 3 s for more members (tests and a one-node setup).
      'group.initial.rebalance.delay.ms=0',
      '',
    ].join('\n'),
  );
  const jvm = [`-Xmx${options.heap ?? '512m'}`, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-cp', classpath];
  const log4j = path.join(dataDir, 'log4j2.properties');
  await fs.writeFile(
    log4j,
    [
      'rootLogger.level=WARN',
      'rootLogger.appenderRef.file.ref=file',
      'appender.file.type=File',
      'appender.file.name=file',
      `appender.file.fileName=${path.join(dataDir, 'broker.log')}`,
      'appender.file.layout.type=PatternLayout',
      'appender.file.layout.pattern=%d %p %c: %m%n',
      '',
    ].join('\n'),
  );
  const logArg = `-Dlog4j2.configurationFile=${log4j}`;

  if (!(await exists(path.join(dataDir, 'logs', 'meta.properties')))) {
    const clusterId = Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
    const formatted = await runCollecting(
      java,
      [...jvm, logArg, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propertiesFile],
      env,
      () => undefined,
    ).catch((err: unknown) => ({ code: -1, output: err instanceof Error ? err.message : String(err) }));
    if (formatted.code !== 0)
      throw new KafkaBrokerError(`Formatting the Kafka storage in ${dataDir} failed:\n${formatted.output.trim()}`);
  }

  const stderr: string[] = [];
  const child: ChildProcess = spawn(java, [...jvm, logArg, 'kafka.Kafka', propertiesFile], {
    env: env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + (options.startTimeoutMs ?? 90_000);
  let gone = false;
  void exited.then(() => (gone = true));
  while (!(await accepts(port))) {
    if (gone || Date.now() > deadline) {
      child.kill('SIGKILL');
      const brokerLog = await fs.readFile(path.join(dataDir, 'broker.log'), 'utf8').catch(() => '');
      throw new KafkaBrokerError(
        `The Kafka broker did not start on 127.0.0.1:${port} (${gone ? 'it exited' : 'timed out'}).\n` +
          `${stderr.join('').slice(-2_000)}\n${brokerLog.slice(-4_000)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    address: `127.0.0.1:${port}`,
    port,
    dataDir,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function freeLoopbackPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
