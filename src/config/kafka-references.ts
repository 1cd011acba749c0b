/**
 * Checks of the sources' `kafka` sections that the schema cannot make: every expression is CEL that reads
 * only the record (`key`, `headers`, `value`, `topic`, `partition`, `offset`, `timestamp`), and a fixed
 * `event` is a declared event type that lists the source.
 */
import { checkExpression, rootsOf } from '../rules/expressions.js';
import { didYouMean } from './did-you-mean.js';
import type { PathSegment } from './paths.js';
import type { ReferenceIssue } from './references.js';

/** The variables a Kafka source's expressions may read (the record as consumed). */
export const KAFKA_EXPRESSION_VARIABLES = ['key', 'headers', 'value', 'topic', 'partition', 'offset', 'timestamp'];

type Dict = Record<string, unknown>;
const isDict = (value: unknown): value is Dict => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every problem in the `kafka` sections of a raw configuration document. */
export function checkKafkaReferences(doc: Dict): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  const events = isDict(doc.events) ? doc.events : {};
  const error = (path: PathSegment[], message: string, suggestion?: string) =>
    issues.push({ path, message, severity: 'error', ...(suggestion ? { suggestion } : {}) });
  for (const [name, rawSource] of Object.entries(isDict(doc.sources) ? doc.sources : {})) {
    if (!isDict(rawSource) || !isDict(rawSource.kafka)) continue;
    const kafka = rawSource.kafka;
    const at: PathSegment[] = ['sources', name, 'kafka'];
    for (const field of ['type', 'id', 'time', 'subject', 'data']) {
      const value = kafka[field];
      if (typeof value !== 'string') continue;
      const invalid = checkExpression(value);
      if (invalid !== undefined) {
        error([...at, field], `kafka ${field} "${value}" is not valid CEL: ${invalid.split('\n')[0] ?? invalid}`);
        continue;
      }
      for (const root of rootsOf(value)) {
        if (KAFKA_EXPRESSION_VARIABLES.includes(root)) continue;
        error(
          [...at, field],
          `kafka ${field} reads unknown variable "${root}": a Kafka expression reads the record — ${KAFKA_EXPRESSION_VARIABLES.join(', ')}`,
          didYouMean(root, KAFKA_EXPRESSION_VARIABLES),
        );
      }
    }
    if (typeof kafka.event === 'string') {
      const declared = events[kafka.event];
      if (!isDict(declared)) {
        error([...at, 'event'], `unknown event type "${kafka.event}"`, didYouMean(kafka.event, Object.keys(events)));
      } else {
        const sources = typeof declared.source === 'string' ? [declared.source] : declared.source;
        if (!Array.isArray(sources) || !sources.includes(name))
          error([...at, 'event'], `event type "${kafka.event}" does not list source "${name}" under \`source\``);
      }
    }
  }
  return issues;
}
