/**
 * The engine configuration the benchmarks run: one entity type, one event type that folds into state
 * and fires a rule. `withAction` adds a connector call per event (scenario 3: event → action latency).
 */
import type { CompiledConfig } from '../src/config/compiled.js';
import { compileConfigText, formatProblems } from '../src/config/index.js';

/** The event type every bench event has. */
export const BENCH_EVENT_TYPE = 'scan.recorded';
/** The source every bench event comes from (auth none, so the HTTP path needs no secrets). */
export const BENCH_SOURCE = 'bench';

function yamlFor(withAction: boolean): string {
  return `
name: bench
entities:
  team:
    key: data.teamId
    initial: { scans: 0, last: '' }
sources:
  ${BENCH_SOURCE}: { auth: none }
events:
  ${BENCH_EVENT_TYPE}:
    source: ${BENCH_SOURCE}
    entity: team
    schema: { type: object, required: [teamId, checkpoint], properties: { teamId: { type: string }, checkpoint: { type: string } } }
    reduce:
      - increment: { scans: 1 }
      - set: { last: '{{ data.checkpoint }}' }
connectors:
  sink:
    http: { url: '{{ env.SINK_URL }}', method: POST }
    timeout: 10s
    retry: { maximumAttempts: 3, initialInterval: 1s }
rules:
  - id: counted
    on: ${BENCH_EVENT_TYPE}
    if: 'state.scans > 0'
    then:
${withAction ? "      - call: sink\n        body: { eventId: '{{ event.id }}' }" : '      - set: { counted: true }'}
`;
}

/** Compiles the bench configuration (throws with located problems if it stops compiling). */
export function benchConfig(options: { withAction: boolean }): CompiledConfig {
  const result = compileConfigText(yamlFor(options.withAction), 'bench-config.yaml');
  if (!result.ok) throw new Error(`the bench configuration does not compile:\n${formatProblems(result.problems)}`);
  return result.config;
}
