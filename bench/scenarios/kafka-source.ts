/**
 * Scenario 10: Kafka into entities ÷ HTTP ingest into entities, on the same server. The same events for
 * the same number of warmed entities: through POST /events with `concurrency` senders, and as records
 * already in a topic of 6 partitions that a Kafka source consumes (src/ingest/kafka/), both from the first
 * event to the last one processed by its entity. The broker is Apache Kafka in KRaft mode from Maven
 * Central (src/dev/kafka-broker.ts), started for the scenario.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import type { EventDeliverer } from '../../src/client/delivery.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { startKafkaBroker } from '../../src/dev/kafka-broker.js';
import { KafkaSourceConsumer } from '../../src/ingest/kafka/kafka-consumer.js';
import type { EngineEvent } from '../../src/rules/types.js';
import { benchConfig, BENCH_EVENT_TYPE, BENCH_SOURCE } from '../bench-config.js';
import { EventFactory, seededRandom } from '../bench-events.js';
import type { BenchSizes } from '../bench-options.js';
import { DRAIN_TIMEOUT_MS, sendAll, warmUp } from '../load.js';
import { figure, ratio, type ScenarioResult } from '../results-model.js';
import { startEngineTarget, stopAll, type BenchContext, type Target } from '../targets.js';

const PARTITIONS = 6;

/** The events of one measurement: `count` events over `keys` warmed entities, keys drawn by a seeded generator. */
function eventsFor(factory: EventFactory, keys: number, count: number, seed: number): EngineEvent[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => factory.event(Math.floor(random() * keys)));
}

/** Events/s through POST /events: from the first send to the last event processed. */
async function measureHttp(target: Target, events: EngineEvent[], concurrency: number): Promise<number> {
  const started = performance.now();
  const sent = await sendAll(
    target,
    events.map((event) => [event]),
    concurrency,
  );
  const last = await target.tracker.lastProcessed(sent.ackedAt.keys(), DRAIN_TIMEOUT_MS);
  return events.length / ((last - started) / 1000);
}

/** The bench configuration with a Kafka section on its source: ids, time and data as the HTTP events carry them. */
function withKafka(config: CompiledConfig, broker: string, topic: string, group: string): CompiledConfig {
  const source = config.sources[BENCH_SOURCE]!;
  return {
    ...config,
    sources: {
      ...config.sources,
      [BENCH_SOURCE]: {
        ...source,
        kafka: {
          brokers: [broker],
          topics: [topic],
          group,
          preset: 'json',
          event: BENCH_EVENT_TYPE,
          id: 'value.id',
          data: 'value.data',
          fromBeginning: true,
        },
      },
    },
  };
}

/** Scenario 10: Kafka records/s into entities ÷ HTTP ingest events/s, same server, same entities and events. */
export async function runKafkaSource(ctx: BenchContext, sizes: BenchSizes): Promise<ScenarioResult> {
  const { keys, concurrency, events: count } = sizes.kafka;
  const config = benchConfig({ withAction: false });
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-bench-kafka-'));
  const broker = await startKafkaBroker({ dataDir, log: (m) => ctx.logger.info(m) });
  const kafka = new Kafka({ brokers: [broker.address], clientId: 'hunt-bench', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await admin.connect();
  await producer.connect();
  const http = await startEngineTarget(ctx, config, 'http');
  const sdk = await startEngineTarget(ctx, config, 'sdk');
  const httpEvents = new EventFactory('s9http');
  const kafkaEvents = new EventFactory('s9kafka');
  const httpRates: number[] = [];
  const kafkaRates: number[] = [];
  try {
    await warmUp(http, httpEvents, keys, concurrency);
    await warmUp(sdk, kafkaEvents, keys, concurrency);
    for (let r = 0; r < sizes.repeats; r++) {
      httpRates.push(await measureHttp(http, eventsFor(httpEvents, keys, count, 90 + r), concurrency));

      const topic = `bench-${r}-${Date.now()}`;
      await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: false });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const events = eventsFor(kafkaEvents, keys, count, 90 + r);
      for (let i = 0; i < events.length; i += 2_000) {
        await producer.send({
          topic,
          acks: -1,
          messages: events.slice(i, i + 2_000).map((event) => ({
            key: String((event.data as { teamId: string }).teamId),
            value: JSON.stringify({ id: event.id, data: event.data }),
          })),
        });
      }
      // The consumer delivers through the target's own delivery (the SDK path's EntityDelivery).
      const deliverer: EventDeliverer = {
        send: async (batch) => {
          await sdk.send(batch);
          return [];
        },
        publish: () => Promise.reject(new Error('not used')),
        flush: () => Promise.resolve(),
      };
      const consumer = new KafkaSourceConsumer({
        source: BENCH_SOURCE,
        config: withKafka(config, broker.address, topic, `${topic}-group`),
        delivery: deliverer,
        logger: ctx.logger,
        env: {},
      });
      const started = performance.now();
      await consumer.start();
      try {
        const last = await sdk.tracker.lastProcessed(
          events.map((event) => event.id),
          DRAIN_TIMEOUT_MS,
        );
        kafkaRates.push(count / ((last - started) / 1000));
      } finally {
        await consumer.stop();
      }
    }
  } finally {
    await stopAll([http, sdk]);
    await producer.disconnect();
    await admin.disconnect();
    await broker.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
  return {
    id: 10,
    title: `Kafka source → entities vs HTTP ingest, ${keys.toLocaleString('en')} entities`,
    parameters: { keys, concurrency, events: count, partitions: PARTITIONS, repeats: sizes.repeats },
    figures: [
      figure('HTTP ingest processed', 'events/s', httpRates),
      figure('Kafka source processed', 'records/s', kafkaRates),
    ],
    ratios: [
      ratio(
        'Kafka ÷ HTTP ingest',
        kafkaRates.map((rate, i) => rate / httpRates[i]!),
        { atLeast: 1.0 },
      ),
    ],
    notes: [
      'Both from the first event to the last one processed by its entity; the entities were created and cached first.',
      `HTTP: ${concurrency} senders, one event per request. Kafka: the records were in the topic before the consumer started.`,
      'Consumer start (joining the group) is inside the Kafka time.',
    ],
  };
}
