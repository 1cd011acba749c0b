/**
 * The expected simulation output of each scenario (`<name>.jsonl` → `<name>.expected.json`), shared
 * by the scenario test (which compares) and `npx tsx examples/treasure-hunt/scenarios/expected-output.ts`
 * (which regenerates them after an intended change of hunt.yaml or of the rules engine; a scenario's
 * `<name>.responses.yaml` holds the partners' stubbed answers, as `hunt simulate --responses` takes them; run
 * `npx prettier --write examples/treasure-hunt/scenarios` afterwards — the test compares parsed JSON).
 */
import { access, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simulateFiles } from '../../../src/cli/simulate-commands.js';
import type { SimulationResult } from '../../../src/rules/simulate.js';

export const scenariosDir = dirname(fileURLToPath(import.meta.url));
export const referenceConfig = join(scenariosDir, '..', 'hunt.yaml');

/** Scenario names (the `.jsonl` files in this folder). */
export async function scenarioNames(): Promise<string[]> {
  return (
    (await readdir(scenariosDir))
      // Recorded native requests (`*.requests.jsonl`) are not event scenarios: test/cli/simulate-commands.test.ts runs them.
      .filter((f) => f.endsWith('.jsonl') && !f.endsWith('.requests.jsonl'))
      .map((f) => f.slice(0, -'.jsonl'.length))
      .sort()
  );
}

/** The stubbed partner answers of a scenario (`<name>.responses.yaml`, for `--responses`), if it has them. */
export async function scenarioResponses(name: string): Promise<string | undefined> {
  const file = join(scenariosDir, `${name}.responses.yaml`);
  return (await access(file).then(
    () => true,
    () => false,
  ))
    ? file
    : undefined;
}

/** The simulation of one scenario, without the config version (a hash that changes with any config edit). */
export async function scenarioOutput(
  name: string,
): Promise<Omit<SimulationResult, 'config'> & { config: { name: string } }> {
  const responses = await scenarioResponses(name);
  const { result } = await simulateFiles(
    referenceConfig,
    join(scenariosDir, `${name}.jsonl`),
    responses === undefined ? {} : { responses },
  );
  return { ...result, config: { name: result.config.name } };
}

async function regenerate(): Promise<void> {
  for (const name of await scenarioNames()) {
    const output = await scenarioOutput(name);
    await writeFile(join(scenariosDir, `${name}.expected.json`), `${JSON.stringify(output, null, 2)}\n`);
    process.stdout.write(`wrote ${name}.expected.json (${output.steps.length} steps)\n`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  regenerate().catch((err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  });
}
