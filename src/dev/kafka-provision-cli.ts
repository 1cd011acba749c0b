/** `npm run kafka:provision`: resolves the Apache Kafka broker's jars from Maven Central into the cache now (CI runs this before the tests). */
import { KAFKA_VERSION, provisionKafka } from './kafka-broker.js';

try {
  const { classpath, origin } = await provisionKafka({ log: (m) => process.stdout.write(`${m}\n`) });
  process.stdout.write(`Apache Kafka ${KAFKA_VERSION} (${origin}): ${classpath}\n`);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
