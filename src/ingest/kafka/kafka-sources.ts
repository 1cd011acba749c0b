/** Starts a consumer for every Kafka source of the configuration (the ingest role); stops them together. */
import type { Logger } from 'pino';
import type { EventDeliverer } from '../../client/delivery.js';
import type { CompiledConfig } from '../../config/compiled.js';
import { KafkaSourceConsumer } from './kafka-consumer.js';

export interface KafkaSources {
  consumers: KafkaSourceConsumer[];
  /** Leaves every group after the chunks in flight are committed. */
  stop(): Promise<void>;
}

/** The names of the configuration's Kafka sources. */
export function kafkaSourceNames(config: CompiledConfig): string[] {
  return Object.values(config.sources)
    .filter((source) => source.kafka !== undefined)
    .map((source) => source.name);
}

/** Connects and starts one consumer per Kafka source; a source that cannot connect fails the start. */
export async function startKafkaSources(options: {
  config: CompiledConfig;
  delivery: EventDeliverer;
  logger: Logger;
  env: Record<string, string | undefined>;
}): Promise<KafkaSources> {
  const consumers: KafkaSourceConsumer[] = [];
  const stop = async () => {
    await Promise.all(consumers.map((consumer) => consumer.stop()));
  };
  try {
    for (const source of kafkaSourceNames(options.config)) {
      const consumer = new KafkaSourceConsumer({ ...options, source });
      consumers.push(consumer);
      await consumer.start();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { consumers, stop };
}
