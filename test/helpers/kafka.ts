/**
 * A real Apache Kafka broker (KRaft, one node) for a test file, on a loopback port, its jars provisioned
 * on demand from Maven Central into the build cache (src/dev/kafka-broker.ts), plus kafkajs helpers to
 * make topics, produce records and read a topic back.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, Partitioners, type Admin, type Message, type Producer } from 'kafkajs';
import { startKafkaBroker, type KafkaBroker } from '../../src/dev/kafka-broker.js';

export interface TestKafka {
  broker: KafkaBroker;
  kafka: Kafka;
  admin: Admin;
  producer: Producer;
  /** Makes a topic with this many partitions and waits until it has leaders. */
  createTopic(topic: string, partitions: number): Promise<void>;
  /** Produces records in batches of `batchSize`, acknowledged by the broker. */
  produce(topic: string, messages: Message[], batchSize?: number): Promise<void>;
  /** Every record of a topic so far (reads with a throwaway group from the start to the current end). */
  readAll(topic: string): Promise<
    Array<{
      partition: number;
      offset: string;
      key: string | null;
      value: string | null;
      headers: Record<string, string>;
    }>
  >;
  /** The group's committed offsets minus the topic's end offsets, summed over partitions. */
  lag(group: string, topic: string): Promise<number>;
  stop(): Promise<void>;
}

/** Starts a broker (provisioning it first when not cached) and connects an admin and a producer. */
export async function startTestKafka(): Promise<TestKafka> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-kafka-'));
  const broker = await startKafkaBroker({ dataDir, log: (m) => process.stderr.write(`${m}\n`) });
  const kafka = new Kafka({ brokers: [broker.address], clientId: 'hunt-test', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await admin.connect();
  await producer.connect();
  return {
    broker,
    kafka,
    admin,
    producer,
    createTopic: async (topic, partitions) => {
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: false });
      // kafkajs' waitForLeaders asks with an old metadata version this broker answers for the wrong topic set.
      for (let tries = 0; ; tries++) {
        const meta = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
        const ready = meta?.topics[0]?.partitions.filter((p) => p.leader >= 0).length === partitions;
        if (ready) return;
        if (tries > 100) throw new Error(`topic ${topic} has no leaders after 10 s`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    produce: async (topic, messages, batchSize = 2_000) => {
      for (let i = 0; i < messages.length; i += batchSize)
        await producer.send({ topic, acks: -1, messages: messages.slice(i, i + batchSize) });
    },
    readAll: async (topic) => {
      const ends = await admin.fetchTopicOffsets(topic);
      const total = ends.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
      const out: Awaited<ReturnType<TestKafka['readAll']>> = [];
      if (total === 0) return out;
      const consumer = kafka.consumer({ groupId: `read-${topic}-${Date.now()}-${Math.random()}` });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            eachMessage: async ({ partition, message }) => {
              const headers: Record<string, string> = {};
              for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
              out.push({
                partition,
                offset: message.offset,
                key: message.key?.toString() ?? null,
                value: message.value?.toString() ?? null,
                headers,
              });
              if (out.length >= total) resolve();
            },
          })
          .catch(reject);
      });
      await consumer.disconnect();
      return out;
    },
    lag: async (group, topic) => {
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      let lag = 0;
      for (const end of ends) {
        const at = Number(committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1');
        lag += Number(end.high) - Math.max(at, 0);
      }
      return lag;
    },
    stop: async () => {
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      await broker.stop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
