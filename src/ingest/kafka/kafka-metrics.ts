/**
 * Prometheus metrics of the Kafka sources, on the process's engine registry (served at /metrics beside
 * the ingest API's): records by outcome, consumer lag and pause state per partition, pauses, dead letters.
 * Records per second is `rate(hunt_kafka_records_total[1m])`; the live map shows the same numbers.
 */
import { Counter, Gauge } from 'prom-client';
import { engineMetricsRegistry } from '../../metrics/engine-metrics.js';

export type KafkaRecordOutcome = 'delivered' | 'poison';

const registers = [engineMetricsRegistry];

/** Records taken from Kafka, by source, topic and outcome (delivered: Temporal holds the event; poison). */
export const kafkaRecords = new Counter({
  name: 'hunt_kafka_records_total',
  help: 'Kafka records consumed, by source, topic and outcome (delivered: Temporal holds the event; poison)',
  labelNames: ['source', 'topic', 'outcome'] as const,
  registers,
});

/** Records between the group's committed offset and the partition's end, as last seen by this consumer. */
export const kafkaLag = new Gauge({
  name: 'hunt_kafka_consumer_lag',
  help: 'Records not yet committed per partition (high watermark − committed offset), as this consumer last saw it',
  labelNames: ['source', 'topic', 'partition'] as const,
  registers,
});

/** 1 while a partition is paused because Temporal does not accept its events. */
export const kafkaPaused = new Gauge({
  name: 'hunt_kafka_partition_paused',
  help: '1 while this consumer has paused the partition because Temporal does not accept its events, else 0',
  labelNames: ['source', 'topic', 'partition'] as const,
  registers,
});

/** Times a partition was paused for back-pressure. */
export const kafkaPauses = new Counter({
  name: 'hunt_kafka_pauses_total',
  help: 'Times a partition was paused because Temporal was slow or down (it resumes by itself)',
  labelNames: ['source', 'topic'] as const,
  registers,
});

/** Poison records written to the dead-letter topic, or skipped when the source names none. */
export const kafkaDeadLetters = new Counter({
  name: 'hunt_kafka_dead_letters_total',
  help: 'Poison records, by source, topic and where they went (dead-letter topic, or skipped)',
  labelNames: ['source', 'topic', 'to'] as const,
  registers,
});

/** One source's numbers for the live map: records by outcome, total lag, paused partitions, pauses. */
export interface KafkaSourceCounts {
  delivered: number;
  poison: number;
  lag: number;
  paused: number;
  pauses: number;
}

/** The live map's view of every Kafka source this process consumes. */
export async function kafkaSourceCounts(): Promise<Record<string, KafkaSourceCounts>> {
  const out: Record<string, KafkaSourceCounts> = {};
  const of = (source: unknown) => (out[String(source)] ??= { delivered: 0, poison: 0, lag: 0, paused: 0, pauses: 0 });
  for (const { labels, value } of (await kafkaRecords.get()).values) {
    if (labels.outcome === 'delivered') of(labels.source).delivered += value;
    else of(labels.source).poison += value;
  }
  for (const { labels, value } of (await kafkaLag.get()).values) of(labels.source).lag += value;
  for (const { labels, value } of (await kafkaPaused.get()).values) of(labels.source).paused += value;
  for (const { labels, value } of (await kafkaPauses.get()).values) of(labels.source).pauses += value;
  return out;
}
