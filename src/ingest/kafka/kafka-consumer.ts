/**
 * A Kafka source's consumer: records → events → the shared coalescing delivery (src/client/delivery.ts)
 * → offsets committed. It holds these invariants:
 * - **Nothing committed before it is durable.** A partition's records go in chunks, in offset order; a
 *   chunk's offset is committed only after Temporal accepted every event in it (and every poison record
 *   of it is in the dead-letter topic). A crash replays the uncommitted records; their ids are the same
 *   (by default `<topic>/<partition>/<offset>`), so the entity drops them as duplicates.
 * - **Per-partition order into each entity.** One chunk of a partition at a time; the delivery keeps the
 *   order of one entity's events, and many events for one entity go in one signal.
 * - **Back-pressure, not memory.** When Temporal does not accept a chunk, its partition is paused (no
 *   more fetches) and the chunk retried with backoff until it goes in; then the partition resumes.
 * - **Poison records never stop a partition**: they go to the dead-letter topic with the reason in
 *   headers, or are logged and skipped when the source names none.
 * Rebalances: a partition taken away mid-chunk is replayed by its new owner from the committed offset,
 * which redelivers (deduped) and never skips.
 */
import fs from 'node:fs';
import {
  Kafka,
  logLevel as kafkaLogLevel,
  Partitioners,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type KafkaConfig,
  type Producer,
  type SASLOptions,
} from 'kafkajs';
import type { Logger } from 'pino';
import type { EventDeliverer } from '../../client/delivery.js';
import { EngineUnavailableError } from '../../client/engine-unavailable-error.js';
import { EntityNotRunningError } from '../../client/entity-not-running-error.js';
import type { CompiledConfig, CompiledKafkaSource } from '../../config/compiled.js';
import { EventValidator } from '../../config/event-validator.js';
import { EngineError } from '../../contract/engine-error.js';
import { entityWorkflowId, routeEvent } from '../../rules/routing.js';
import type { EngineEvent } from '../../rules/types.js';
import { kafkaDeadLetters, kafkaLag, kafkaPaused, kafkaPauses, kafkaRecords } from './kafka-metrics.js';
import { mapKafkaRecord, type KafkaRecord } from './record-mapping.js';

/** The Kafka source cannot start: a missing setting, or brokers that cannot be reached. */
export class KafkaSourceError extends EngineError {
  override readonly name = 'KafkaSourceError';
  readonly code = 'KAFKA_SOURCE_FAILED';
}

export interface KafkaSourceConsumerOptions {
  /** The source's name in the configuration (the events' `source`). */
  source: string;
  config: CompiledConfig;
  delivery: EventDeliverer;
  logger: Logger;
  env: Record<string, string | undefined>;
  /** Records delivered and committed together (default 500). */
  chunkSize?: number;
  /** Chunks (of different partitions) delivering at once: bounds the signals in flight (default 2). */
  concurrentChunks?: number;
  /** First and longest wait between tries while Temporal does not accept (default 250 ms, 5 s). */
  retryMs?: { initial: number; max: number };
  /** How often the lag of the assigned partitions is refreshed (default 5 s). */
  lagIntervalMs?: number;
  /** kafkajs client id (default `hunt-<source>`). */
  clientId?: string;
  /** Consumer session timeout (default 30 s); a consumer that stops heartbeating loses its partitions after it. */
  sessionTimeoutMs?: number;
}

interface PoisonRecord {
  record: KafkaRecord;
  reason: string;
}

type Assignment = Record<string, number[]>;

/** Consumes one Kafka source into entities. `start()` joins the group; `stop()` leaves it after the current chunks. */
export class KafkaSourceConsumer {
  readonly source: string;
  private readonly kafka: Kafka;
  private readonly settings: CompiledKafkaSource;
  private readonly validator: EventValidator;
  private readonly consumer: Consumer;
  private readonly producer?: Producer;
  private readonly admin: Admin;
  private readonly chunkSize: number;
  private readonly retryMs: { initial: number; max: number };
  private readonly slots: Slots;
  private assignment: Assignment = {};
  private lagTimer?: ReturnType<typeof setInterval>;
  private stopped = false;

  constructor(private readonly options: KafkaSourceConsumerOptions) {
    const settings = options.config.sources[options.source]?.kafka;
    if (!settings) throw new KafkaSourceError(`source "${options.source}" has no kafka section`);
    this.source = options.source;
    this.settings = settings;
    this.validator = new EventValidator(options.config);
    this.chunkSize = options.chunkSize ?? 500;
    this.slots = new Slots(options.concurrentChunks ?? 2);
    this.retryMs = options.retryMs ?? { initial: 250, max: 5_000 };
    this.kafka = new Kafka(kafkaClientConfig(options.source, settings, options.env, options.logger, options.clientId));
    this.consumer = this.kafka.consumer({
      groupId: settings.group,
      sessionTimeout: options.sessionTimeoutMs ?? settings.sessionTimeoutMs ?? 30_000,
      // Bounded fetches: what a paused partition holds in memory is at most one fetch.
      maxBytesPerPartition: 1_048_576,
      maxBytes: 8 * 1_048_576,
    });
    // A poison record written twice (a crash between the write and the commit) is harmless: at least once.
    if (settings.deadLetterTopic)
      this.producer = this.kafka.producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        allowAutoTopicCreation: true,
      });
    this.admin = this.kafka.admin();
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      this.assignment = event.payload.memberAssignment;
      options.logger.info({ source: this.source, assignment: this.assignment }, 'kafka source joined its group');
    });
  }

  /** Connects, joins the consumer group and starts consuming; resolves once consuming has begun. */
  async start(): Promise<void> {
    const { logger } = this.options;
    try {
      await this.admin.connect();
      await this.producer?.connect();
      await this.consumer.connect();
      await this.consumer.subscribe({ topics: this.settings.topics, fromBeginning: this.settings.fromBeginning });
    } catch (err) {
      await this.stop();
      throw new KafkaSourceError(
        `Kafka source "${this.source}": could not connect to ${this.brokersText()} or subscribe to ` +
          `${this.settings.topics.join(', ')}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 8,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.lagTimer = setInterval(
      () => void this.refreshLag().catch(() => undefined),
      this.options.lagIntervalMs ?? 5_000,
    );
    this.lagTimer.unref();
    logger.info(
      { source: this.source, topics: this.settings.topics, group: this.settings.group },
      'kafka source consuming',
    );
  }

  /** Leaves the group once the chunks in flight are delivered and committed, and closes the connections. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.lagTimer) clearInterval(this.lagTimer);
    await this.consumer.disconnect().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
  }

  /** Refreshes the lag gauge of the partitions this consumer holds: end offset − committed offset. */
  async refreshLag(): Promise<void> {
    const topics = Object.keys(this.assignment).filter((topic) => (this.assignment[topic] ?? []).length > 0);
    if (topics.length === 0) return;
    const committed = await this.admin.fetchOffsets({ groupId: this.settings.group, topics });
    for (const { topic, partitions } of committed) {
      const ends = new Map((await this.admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
      const mine = new Set(this.assignment[topic] ?? []);
      for (const { partition, offset } of partitions) {
        if (!mine.has(partition)) continue;
        const end = ends.get(partition) ?? 0n;
        const at = BigInt(offset) < 0n ? 0n : BigInt(offset);
        kafkaLag.set({ source: this.source, topic, partition: String(partition) }, Number(end - at));
      }
    }
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    for (let start = 0; start < batch.messages.length; start += this.chunkSize) {
      if (!payload.isRunning() || payload.isStale()) return;
      const chunk = batch.messages.slice(start, start + this.chunkSize);
      const records: KafkaRecord[] = chunk.map((m) => ({ ...m, topic: batch.topic, partition: batch.partition }));
      const delivered = await this.slots.run(() =>
        withHeartbeats(payload, () => this.processChunk(batch.topic, batch.partition, records, payload)),
      );
      if (!delivered) return; // stopped or partition taken away: its new owner replays from the committed offset
      const last = chunk[chunk.length - 1]!.offset;
      const next = String(BigInt(last) + 1n);
      payload.resolveOffset(last);
      await payload.commitOffsetsIfNecessary({
        topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }],
      });
      const lag = BigInt(batch.highWatermark) - BigInt(next);
      kafkaLag.set(
        { source: this.source, topic: batch.topic, partition: String(batch.partition) },
        Number(lag < 0n ? 0n : lag),
      );
      await payload.heartbeat();
    }
  }

  /** Maps, dead-letters and delivers one chunk; false when it stopped before the chunk was durable. */
  private async processChunk(
    topic: string,
    partition: number,
    records: KafkaRecord[],
    payload: EachBatchPayload,
  ): Promise<boolean> {
    const events: EngineEvent[] = [];
    const offsets = new Map<EngineEvent, KafkaRecord>();
    const poison: PoisonRecord[] = [];
    for (const record of records) {
      const mapped = mapKafkaRecord(this.source, this.settings, record);
      if (mapped.kind === 'poison') {
        poison.push({ record, reason: mapped.reason });
        continue;
      }
      const result = this.validator.validate(mapped.candidate, this.source);
      if (!result.ok) {
        poison.push({ record, reason: result.problems.map((p) => `${p.pointer || '/'}: ${p.detail}`).join('; ') });
        continue;
      }
      events.push(result.event);
      offsets.set(result.event, record);
    }
    const retry = new Backoff(this.retryMs);
    const pausing = new PartitionPause(this.source, topic, partition, payload, this.options.logger);
    try {
      let pending = events;
      let notRunning = 0;
      while (pending.length > 0) {
        const outcome = await this.deliver(pending);
        for (const [event, reason] of outcome.notRunning) poison.push({ record: offsets.get(event)!, reason });
        notRunning += outcome.notRunning.size;
        if (outcome.retry.length === 0) break;
        pausing.pause(outcome.error);
        if (!(await this.waitToRetry(retry, payload))) return false;
        pending = outcome.retry;
      }
      kafkaRecords.inc({ source: this.source, topic, outcome: 'delivered' }, events.length - notRunning);
      while (poison.length > 0) {
        try {
          await this.deadLetter(topic, poison);
          break;
        } catch (err) {
          pausing.pause(err);
          if (!(await this.waitToRetry(retry, payload))) return false;
        }
      }
      return true;
    } finally {
      pausing.resume();
    }
  }

  /**
   * Sends events through the shared delivery, one call per event so each settles alone; calls made in one
   * tick are coalesced per entity. Returns what must be retried: for each entity, everything from its
   * first event Temporal did not accept on (so one entity's events never overtake each other).
   */
  private async deliver(
    events: EngineEvent[],
  ): Promise<{ retry: EngineEvent[]; notRunning: Map<EngineEvent, string>; error?: unknown }> {
    const settled = await Promise.allSettled(events.map((event) => this.options.delivery.send([event])));
    const failedEntities = new Set<string>();
    const notRunning = new Map<EngineEvent, string>();
    const retry: EngineEvent[] = [];
    let error: unknown;
    events.forEach((event, i) => {
      const outcome = settled[i]!;
      const route = routeEvent(this.options.config, event);
      const workflowId = route.ok ? entityWorkflowId(route.entity) : event.id;
      if (outcome.status === 'rejected') {
        if (outcome.reason instanceof EntityNotRunningError) {
          notRunning.set(event, outcome.reason.message);
          return;
        }
        if (!(outcome.reason instanceof EngineUnavailableError)) throw outcome.reason;
        error ??= outcome.reason;
        failedEntities.add(workflowId);
      }
      if (failedEntities.has(workflowId)) retry.push(event);
    });
    return { retry, notRunning, ...(error !== undefined && { error }) };
  }

  /** Writes poison records to the dead-letter topic (acknowledged by all replicas), or logs and skips them. */
  private async deadLetter(topic: string, poison: PoisonRecord[]): Promise<void> {
    const to = this.settings.deadLetterTopic;
    if (to && this.producer) {
      await this.producer.send({
        topic: to,
        acks: -1,
        messages: poison.map(({ record, reason }) => ({
          key: record.key,
          value: record.value,
          headers: {
            ...record.headers,
            'hunt-reason': reason.slice(0, 2_000),
            'hunt-source': this.source,
            'hunt-topic': record.topic,
            'hunt-partition': String(record.partition),
            'hunt-offset': record.offset,
          },
        })),
      });
    }
    for (const { record, reason } of poison) {
      this.options.logger.warn(
        {
          source: this.source,
          topic: record.topic,
          partition: record.partition,
          offset: record.offset,
          reason,
          deadLetterTopic: to,
        },
        to ? 'poison record sent to the dead-letter topic' : 'poison record skipped (no deadLetterTopic configured)',
      );
    }
    kafkaRecords.inc({ source: this.source, topic, outcome: 'poison' }, poison.length);
    kafkaDeadLetters.inc({ source: this.source, topic, to: to ?? 'skipped' }, poison.length);
    poison.length = 0;
  }

  /** Waits before the next try, heartbeating; false when the consumer stops or the partition was taken away. */
  private async waitToRetry(backoff: Backoff, payload: EachBatchPayload): Promise<boolean> {
    let remaining = backoff.next();
    while (remaining > 0) {
      if (this.stopped || !payload.isRunning() || payload.isStale()) return false;
      const step = Math.min(remaining, 1_000);
      await new Promise((resolve) => setTimeout(resolve, step));
      remaining -= step;
      // A rebalance surfaces here as an error: kafkajs rejoins and the partition's new owner replays it.
      await payload.heartbeat();
    }
    return !this.stopped && payload.isRunning() && !payload.isStale();
  }

  private brokersText(): string {
    return this.settings.brokers?.join(', ') ?? `$${this.settings.brokersEnv ?? '?'}`;
  }
}

/**
 * Heartbeats every second while `work` runs, so a slow delivery does not cost the partitions (the session
 * timeout may be shorter than a delivery's deadline). A rebalance noticed here ends the work as stale.
 */
async function withHeartbeats<T>(payload: EachBatchPayload, work: () => Promise<T>): Promise<T | false> {
  let lost: Error | undefined;
  const timer = setInterval(() => {
    payload.heartbeat().catch((err: unknown) => (lost ??= err instanceof Error ? err : new Error(String(err))));
  }, 1_000);
  try {
    const result = await work();
    if (lost !== undefined) throw lost; // kafkajs rejoins; the partition's new owner replays from the committed offset
    return result;
  } finally {
    clearInterval(timer);
  }
}

/** A counting semaphore: at most `size` tasks at once, the others wait in order. */
class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];
  constructor(size: number) {
    this.free = size;
  }
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

/** Exponential backoff between tries. */
class Backoff {
  private current: number;
  constructor(private readonly limits: { initial: number; max: number }) {
    this.current = limits.initial;
  }
  next(): number {
    const wait = this.current;
    this.current = Math.min(this.current * 2, this.limits.max);
    return wait;
  }
}

/** One partition's pause for back-pressure: paused once on the first failure, resumed when the chunk is in. */
class PartitionPause {
  private resumeFn?: (() => void) | undefined;
  constructor(
    private readonly source: string,
    private readonly topic: string,
    private readonly partition: number,
    private readonly payload: EachBatchPayload,
    private readonly logger: Logger,
  ) {}

  pause(reason: unknown): void {
    if (this.resumeFn) return;
    this.resumeFn = this.payload.pause();
    const labels = { source: this.source, topic: this.topic, partition: String(this.partition) };
    kafkaPaused.set(labels, 1);
    kafkaPauses.inc({ source: this.source, topic: this.topic });
    this.logger.warn(
      { ...labels, err: reason instanceof Error ? reason.message : String(reason) },
      'kafka partition paused: Temporal does not accept its events now; retrying',
    );
  }

  resume(): void {
    if (!this.resumeFn) return;
    this.resumeFn();
    this.resumeFn = undefined;
    const labels = { source: this.source, topic: this.topic, partition: String(this.partition) };
    kafkaPaused.set(labels, 0);
    this.logger.info(labels, 'kafka partition resumed');
  }
}

/** The kafkajs client settings of a source: brokers, TLS and SASL from the environment, logs into pino. */
export function kafkaClientConfig(
  source: string,
  kafka: CompiledKafkaSource,
  env: Record<string, string | undefined>,
  logger: Logger,
  clientId = `hunt-${source}`,
): KafkaConfig {
  const need = (variable: string, what: string): string => {
    const value = env[variable];
    if (value === undefined || value === '')
      throw new KafkaSourceError(`Kafka source "${source}": ${what} is read from $${variable}, which is not set.`);
    return value;
  };
  const brokers =
    kafka.brokers ??
    need(kafka.brokersEnv!, 'the broker list')
      .split(',')
      .map((broker) => broker.trim())
      .filter(Boolean);
  const pem = (variable: string | undefined, what: string) => {
    if (variable === undefined) return undefined;
    const value = need(variable, what);
    // A PEM in the variable itself, or the path of a PEM file.
    return value.includes('-----BEGIN') ? value : fs.readFileSync(value, 'utf8');
  };
  const config: KafkaConfig = {
    clientId,
    brokers,
    logLevel: kafkaLogLevel.WARN,
    logCreator:
      () =>
      ({ level, log }) => {
        const { message, ...extra } = log;
        const line = { source, kafkajs: extra };
        if (level === kafkaLogLevel.ERROR) logger.error(line, `kafka: ${message}`);
        else if (level === kafkaLogLevel.WARN) logger.warn(line, `kafka: ${message}`);
        else logger.debug(line, `kafka: ${message}`);
      },
    retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 },
  };
  if (kafka.tls) {
    const ca = pem(kafka.tls.caEnv, 'the TLS CA certificate');
    const cert = pem(kafka.tls.certEnv, 'the TLS client certificate');
    const key = pem(kafka.tls.keyEnv, 'the TLS client key');
    config.ssl = ca || cert || key ? { ...(ca && { ca: [ca] }), ...(cert && { cert }), ...(key && { key }) } : true;
  }
  if (kafka.sasl) {
    config.sasl = {
      mechanism: kafka.sasl.mechanism,
      username: need(kafka.sasl.usernameEnv, 'the SASL user name'),
      password: need(kafka.sasl.passwordEnv, 'the SASL password'),
    } as SASLOptions;
  }
  return config;
}
