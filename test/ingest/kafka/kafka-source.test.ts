/**
 * The Kafka source against a real broker (KRaft, from Maven Central) and the real Temporal dev server:
 * records in → entities, 0 lost and 0 doubled, per-key order kept, 1 % poison records dead-lettered —
 * plainly, with the consumer SIGKILLed mid-stream and restarted, and with a second consumer joining and
 * the first leaving mid-stream. Short sizes here; the 50,000 records with `npm run chaos`.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompiledConfig } from '../../../src/config/compiled.js';
import { EntityDelivery } from '../../../src/client/delivery.js';
import { KafkaSourceConsumer } from '../../../src/ingest/kafka/kafka-consumer.js';
import { kafkaSourceCounts } from '../../../src/ingest/kafka/kafka-metrics.js';
import { startDevServer, type DevServer } from '../../../src/dev/dev-server.js';
import { freePort } from '../../helpers/free-port.js';
import { liveHeapBytes } from '../../reliability/harness/heap-probe.js';
import { startTestKafka, type TestKafka } from '../../helpers/kafka.js';
import { startTestEngine, temporalTestContext, uniqueName } from '../../helpers/temporal.js';
import { chaosSize } from '../../reliability/harness/chaos-scale.js';
import { printChaosFigure } from '../../reliability/harness/chaos-figure.js';
import { eventually } from '../../reliability/harness/eventually.js';
import { startWorkerProcess, type WorkerProcess } from '../../reliability/harness/worker-process.js';
import { audit, kafkaConfig, kafkaConfigText, makeRecords, type ScenarioNames } from './kafka-scenario.js';

/** `npm test` runs a smaller real variant (the machine is shared); `npm run chaos` the sizes. */
const RECORDS = chaosSize(3_000, 50_000);
const KEYS = chaosSize(300, 1_000);
const PARTITIONS = 6;
const logger = pino({ level: process.env.KAFKA_TEST_LOG ?? 'silent' });
const SCENARIO_MS = chaosSize(300_000, 900_000);

let kafka: TestKafka;
let stateDir: string;

beforeAll(async () => {
  kafka = await startTestKafka();
  stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-kafka-source-'));
});
afterAll(async () => {
  await kafka?.stop();
  if (stateDir) await fs.rm(stateDir, { recursive: true, force: true });
});

async function scenarioTopics(prefix: string): Promise<ScenarioNames> {
  const names = {
    topic: uniqueName(prefix),
    group: uniqueName(`${prefix}-group`),
    deadLetterTopic: uniqueName(`${prefix}-dlq`),
  };
  await kafka.createTopic(names.topic, PARTITIONS);
  await kafka.createTopic(names.deadLetterTopic, 1);
  return names;
}

function consumerFor(config: CompiledConfig, delivery: EntityDelivery, clientId?: string): KafkaSourceConsumer {
  return new KafkaSourceConsumer({
    source: 'ledger',
    config,
    delivery,
    logger,
    env: {},
    ...(clientId && { clientId }),
  });
}

const drained = (names: ScenarioNames) =>
  eventually(
    async () => {
      const lag = await kafka.lag(names.group, names.topic);
      if (process.env.KAFKA_TEST_LOG) process.stderr.write(`lag ${lag}\n`);
      return lag;
    },
    (lag) => lag === 0,
    { timeoutMs: 240_000, intervalMs: 1_000, what: 'consumer lag 0' },
  );

describe('Kafka source', () => {
  it(
    `${RECORDS} records over ${PARTITIONS} partitions and ${KEYS} keys, 1 % poison: every good record in its entity once, in order`,
    async () => {
      const names = await scenarioTopics('plain');
      const config = kafkaConfig(kafka.broker.address, names);
      const engine = await startTestEngine(config);
      const delivery = new EntityDelivery({ client: engine.client, taskQueue: engine.taskQueue, config });
      const consumer = consumerFor(config, delivery);
      const records = makeRecords(RECORDS, KEYS, uniqueName('plain'));
      try {
        await kafka.produce(names.topic, records.messages);
        const started = Date.now();
        await consumer.start();
        await drained(names);
        const seconds = (Date.now() - started) / 1000;
        const figure = await audit(engine.client, kafka, records, names);
        printChaosFigure('kafka: plain', {
          sent: RECORDS,
          acknowledged: figure.applied,
          inHistory: figure.applied,
          actionsExpected: 0,
          delivered: 0,
          duplicates: figure.doubled,
          extra: {
            lost: figure.lost,
            poison: records.poison,
            deadLettered: figure.deadLettered,
            recordsPerSecond: Math.round(RECORDS / seconds),
          },
        });
        expect(figure).toEqual({
          expected: records.good,
          applied: records.good,
          lost: 0,
          doubled: 0,
          outOfOrder: 0,
          deadLettered: records.poison,
        });
        const dead = await kafka.readAll(names.deadLetterTopic);
        expect(dead.every((r) => r.headers['hunt-reason'] && r.headers['hunt-source'] === 'ledger')).toBe(true);
        expect(dead.some((r) => /not JSON/.test(r.headers['hunt-reason'] ?? ''))).toBe(true);
        expect(dead.some((r) => /integer/.test(r.headers['hunt-reason'] ?? ''))).toBe(true);
        const counts = (await kafkaSourceCounts()).ledger;
        expect(counts?.delivered).toBeGreaterThanOrEqual(records.good);
        expect(counts?.poison).toBeGreaterThanOrEqual(records.poison);
      } finally {
        await consumer.stop();
        await engine.stop();
      }
    },
    SCENARIO_MS,
  );

  it(
    'the consumer process SIGKILLed mid-stream and restarted (npm start, HUNT_ROLE=ingest): 0 lost, 0 doubled',
    async () => {
      const names = await scenarioTopics('killed');
      const configPath = path.join(stateDir, `${names.topic}.yaml`);
      await fs.writeFile(configPath, kafkaConfigText(kafka.broker.address, names));
      const config = kafkaConfig(kafka.broker.address, names);
      const engine = await startTestEngine(config);
      const records = makeRecords(RECORDS, KEYS, uniqueName('killed'));
      const { address } = await temporalTestContext();
      const ingest = async (label: string): Promise<WorkerProcess> => {
        const process = startWorkerProcess({
          temporalAddress: address,
          taskQueue: engine.taskQueue,
          configPath,
          stateDir: path.join(stateDir, label),
          label,
          env: { HUNT_ROLE: 'ingest', HUNT_PORT: String(await freePort()) },
        });
        await process.ready();
        return process;
      };
      let first: WorkerProcess | undefined;
      let second: WorkerProcess | undefined;
      try {
        const producing = kafka.produce(names.topic, records.messages, 500);
        first = await ingest('ingest-1');
        await eventually(
          () => kafka.lag(names.group, names.topic),
          (lag) => lag < RECORDS * 0.7 && lag > 0,
          {
            timeoutMs: 120_000,
            intervalMs: 200,
            what: 'some records committed',
          },
        );
        await first.kill();
        const lagAtKill = await kafka.lag(names.group, names.topic);
        second = await ingest('ingest-2');
        await producing;
        await drained(names);
        const figure = await audit(engine.client, kafka, records, names);
        printChaosFigure('kafka: consumer SIGKILLed', {
          sent: RECORDS,
          acknowledged: figure.applied,
          inHistory: figure.applied,
          actionsExpected: 0,
          delivered: 0,
          duplicates: figure.doubled,
          extra: { lost: figure.lost, lagAtKill, poison: records.poison, deadLettered: figure.deadLettered },
        });
        expect(figure).toEqual({
          expected: records.good,
          applied: records.good,
          lost: 0,
          doubled: 0,
          outOfOrder: 0,
          deadLettered: records.poison,
        });
      } finally {
        await first?.kill();
        await second?.stop();
        await engine.stop();
      }
    },
    SCENARIO_MS,
  );

  it(
    'a second consumer joins mid-stream and the first leaves: 0 lost, 0 doubled, order kept',
    async () => {
      const names = await scenarioTopics('rebalance');
      const config = kafkaConfig(kafka.broker.address, names);
      const engine = await startTestEngine(config);
      const records = makeRecords(RECORDS, KEYS, uniqueName('rebalance'));
      const deliveryA = new EntityDelivery({ client: engine.client, taskQueue: engine.taskQueue, config });
      const deliveryB = new EntityDelivery({ client: engine.client, taskQueue: engine.taskQueue, config });
      const a = consumerFor(config, deliveryA, 'consumer-a');
      const b = consumerFor(config, deliveryB, 'consumer-b');
      try {
        const producing = kafka.produce(names.topic, records.messages, 250);
        await a.start();
        await eventually(
          () => kafka.lag(names.group, names.topic),
          (lag) => lag < RECORDS * 0.8,
          { timeoutMs: 120_000, intervalMs: 200 },
        );
        await b.start();
        await eventually(
          () => kafka.lag(names.group, names.topic),
          (lag) => lag < RECORDS * 0.5,
          { timeoutMs: 120_000, intervalMs: 200 },
        );
        await a.stop();
        await producing;
        await drained(names);
        const figure = await audit(engine.client, kafka, records, names);
        printChaosFigure('kafka: consumer joins, consumer leaves', {
          sent: RECORDS,
          acknowledged: figure.applied,
          inHistory: figure.applied,
          actionsExpected: 0,
          delivered: 0,
          duplicates: figure.doubled,
          extra: { lost: figure.lost, poison: records.poison, deadLettered: figure.deadLettered },
        });
        expect(figure).toEqual({
          expected: records.good,
          applied: records.good,
          lost: 0,
          doubled: 0,
          outOfOrder: 0,
          deadLettered: records.poison,
        });
      } finally {
        await a.stop();
        await b.stop();
        await engine.stop();
      }
    },
    SCENARIO_MS,
  );

  it(
    'Temporal stopped for 20 s mid-stream: partitions pause, lag grows, memory stays flat, then it drains; 0 lost, 0 doubled',
    async () => {
      const names = await scenarioTopics('outage');
      const configPath = path.join(stateDir, `${names.topic}.yaml`);
      await fs.writeFile(configPath, kafkaConfigText(kafka.broker.address, names));
      const config = kafkaConfig(kafka.broker.address, names);
      const records = makeRecords(RECORDS, KEYS, uniqueName('outage'));
      const half = Math.floor(records.messages.length / 2);
      const serverDir = path.join(stateDir, `temporal-${names.topic}`);
      const ports = { port: await freePort(), uiPort: await freePort() };
      const startServer = () =>
        startDevServer({ stateDir: serverDir, ...ports, namespace: 'default', logger: pino({ level: 'silent' }) });
      let server: DevServer | undefined = await startServer();
      const connection = await Connection.connect({ address: server.address });
      const client = new Client({ connection });
      const taskQueue = uniqueName('outage');
      const worker = startWorkerProcess({
        temporalAddress: server.address,
        taskQueue,
        configPath,
        stateDir: serverDir,
      });
      const delivery = new EntityDelivery({ client, taskQueue, config });
      const consumer = consumerFor(config, delivery);
      try {
        await worker.ready();
        await kafka.produce(names.topic, records.messages.slice(0, half), 250);
        await consumer.start();
        await eventually(
          () => kafka.lag(names.group, names.topic),
          (lag) => lag < half * 0.7,
          {
            timeoutMs: 120_000,
            intervalMs: 200,
            what: 'some records committed',
          },
        );
        await server.stop();
        server = undefined;
        const downAt = Date.now();
        const lagAtStop = await kafka.lag(names.group, names.topic);
        const heapAtStop = await liveHeapBytes();
        // The rest of the stream arrives while Temporal is down.
        await kafka.produce(names.topic, records.messages.slice(half), 250);
        let heapPeak = heapAtStop;
        let pausedSeen = 0;
        while (Date.now() - downAt < 20_000) {
          await new Promise((resolve) => setTimeout(resolve, 2_000));
          heapPeak = Math.max(heapPeak, await liveHeapBytes());
          pausedSeen = Math.max(pausedSeen, (await kafkaSourceCounts()).ledger?.paused ?? 0);
        }
        const lagAtRestart = await kafka.lag(names.group, names.topic);
        server = await startServer();
        await drained(names);
        const figure = await audit(client, kafka, records, names);
        const heapGrowthMiB = Math.round(((heapPeak - heapAtStop) / 1_048_576) * 10) / 10;
        printChaosFigure('kafka: Temporal down 20 s', {
          sent: RECORDS,
          acknowledged: figure.applied,
          inHistory: figure.applied,
          actionsExpected: 0,
          delivered: 0,
          duplicates: figure.doubled,
          extra: {
            lost: figure.lost,
            lagAtStop,
            lagAtRestart,
            pausedPartitions: pausedSeen,
            heapGrowthMiB,
            poison: records.poison,
            deadLettered: figure.deadLettered,
          },
        });
        expect(lagAtRestart).toBeGreaterThan(lagAtStop);
        expect(pausedSeen).toBeGreaterThan(0);
        expect(heapGrowthMiB).toBeLessThan(32);
        expect(figure).toEqual({
          expected: records.good,
          applied: records.good,
          lost: 0,
          doubled: 0,
          outOfOrder: 0,
          deadLettered: records.poison,
        });
      } finally {
        await consumer.stop();
        await worker.stop();
        await connection.close();
        await server?.stop();
      }
    },
    SCENARIO_MS,
  );
});
