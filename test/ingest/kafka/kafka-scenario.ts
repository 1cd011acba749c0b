/**
 * The Kafka source scenarios' shared parts: a configuration that folds each record into its entity (a
 * count and the list of per-key sequence numbers), records with 1 % poison, and the audit that reads
 * every entity back — lost, doubled and out-of-order records — and the dead-letter topic.
 */
import type { Client } from '@temporalio/client';
import type { Message } from 'kafkajs';
import type { CompiledConfig } from '../../../src/config/compiled.js';
import { compileConfigText } from '../../../src/config/index.js';
import { stateQuery, type EntityView } from '../../../src/contract/messages.js';
import { entityWorkflowId } from '../../../src/rules/routing.js';
import type { TestKafka } from '../../helpers/kafka.js';

export interface ScenarioNames {
  topic: string;
  group: string;
  deadLetterTopic: string;
}

/** The configuration text: one Kafka source, one entity per record key, every record counted and its seq appended. */
export function kafkaConfigText(broker: string, names: ScenarioNames, extra = ''): string {
  return `
name: kafka-scenario
entities:
  account:
    key: data.account
    initial: { count: 0, seqs: [] }
sources:
  ledger:
    kafka:
      brokers: ["${broker}"]
      topics: ["${names.topic}"]
      group: "${names.group}"
      event: ledger.entry
      id: "value.account + '/' + string(value.seq)"
      deadLetterTopic: "${names.deadLetterTopic}"
      sessionTimeout: 6s
${extra}
events:
  ledger.entry:
    source: ledger
    entity: account
    schema:
      type: object
      required: [account, seq]
      properties: { account: { type: string }, seq: { type: integer } }
    reduce:
      - increment: { count: 1 }
      - append: { seqs: "{{ data.seq }}" }
`;
}

/** Compiles the scenario configuration (throws with the problems if it does not compile). */
export function kafkaConfig(broker: string, names: ScenarioNames): CompiledConfig {
  const out = compileConfigText(kafkaConfigText(broker, names), 'kafka-scenario.yaml');
  if (!out.ok) throw new Error(out.problems.map((p) => `${p.line}: ${p.message}`).join('\n'));
  return out.config;
}

export interface RecordSet {
  messages: Message[];
  /** Good records per key: the entity must hold seqs 0..n-1, in order. */
  perKey: Map<string, number>;
  good: number;
  poison: number;
}

/** `total` records over `keys` keys; every 100th is poison (alternately not JSON, and a `seq` that is no integer). */
export function makeRecords(total: number, keys: number, prefix: string): RecordSet {
  const perKey = new Map<string, number>();
  const messages: Message[] = [];
  let poison = 0;
  for (let i = 0; i < total; i++) {
    const account = `${prefix}-${i % keys}`;
    if (i % 100 === 99) {
      poison++;
      const value = poison % 2 === 0 ? `{"account": "${account}", "seq": ` : JSON.stringify({ account, seq: 'oops' });
      messages.push({ key: account, value });
      continue;
    }
    const seq = perKey.get(account) ?? 0;
    perKey.set(account, seq + 1);
    messages.push({ key: account, value: JSON.stringify({ account, seq }) });
  }
  return { messages, perKey, good: total - poison, poison };
}

export interface Audit {
  expected: number;
  applied: number;
  lost: number;
  doubled: number;
  outOfOrder: number;
  deadLettered: number;
}

/**
 * Reads every entity's state and the dead-letter topic; counts lost, doubled and out-of-order records.
 * Temporal holds every delivered event; the entities fold them on their own time, so this reads again
 * (up to 3 minutes) until nothing is missing — what is then still missing is lost.
 */
export async function audit(
  client: Client,
  kafka: TestKafka,
  records: RecordSet,
  names: ScenarioNames,
): Promise<Audit> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const result = await auditOnce(client, kafka, records, names);
    if (result.lost === 0 || Date.now() > deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

async function auditOnce(client: Client, kafka: TestKafka, records: RecordSet, names: ScenarioNames): Promise<Audit> {
  const result: Audit = { expected: records.good, applied: 0, lost: 0, doubled: 0, outOfOrder: 0, deadLettered: 0 };
  const keys = [...records.perKey.entries()];
  const examples: string[] = [];
  for (let i = 0; i < keys.length; i += 10) {
    await Promise.all(
      keys.slice(i, i + 10).map(async ([key, n]) => {
        const view = await queryState(client, entityWorkflowId({ type: 'account', key }));
        const seqs = (view.state.seqs ?? []) as number[];
        result.applied += seqs.length;
        const seen = new Set(seqs);
        result.doubled += seqs.length - seen.size;
        for (let s = 0; s < n; s++) if (!seen.has(s)) result.lost++;
        for (let s = 1; s < seqs.length; s++) if (seqs[s]! < seqs[s - 1]!) result.outOfOrder++;
        if (view.state.count !== seqs.length) result.doubled += Math.abs(Number(view.state.count ?? 0) - seqs.length);
        if (seqs.length !== n && examples.length < 5)
          examples.push(`${key}: expected ${n}, state ${JSON.stringify(view.state)} events ${view.eventCount}`);
      }),
    );
  }
  const dead = await kafka.readAll(names.deadLetterTopic);
  result.deadLettered = new Set(dead.map((r) => `${r.headers['hunt-partition']}/${r.headers['hunt-offset']}`)).size;
  return result;
}

/** The entity's state; a query that times out on a loaded machine is asked again (up to 5 times). */
async function queryState(client: Client, workflowId: string): Promise<EntityView> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.workflow.getHandle(workflowId).query(stateQuery);
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((resolve) => setTimeout(resolve, 1_000 * attempt));
    }
  }
}
