import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarioNames, scenarioOutput, scenariosDir } from '../../examples/treasure-hunt/scenarios/expected-output.js';

// Regenerate after an intended change: npx tsx examples/treasure-hunt/scenarios/expected-output.ts
describe('treasure-hunt scenarios', async () => {
  const names = await scenarioNames();

  it('there are scenarios to check', () => {
    expect(names.length).toBeGreaterThanOrEqual(3);
  });

  it.each(names)('%s simulates to its expected output', async (name) => {
    const expected: unknown = JSON.parse(await readFile(join(scenariosDir, `${name}.expected.json`), 'utf8'));
    expect(JSON.parse(JSON.stringify(await scenarioOutput(name)))).toEqual(expected);
  });
});
