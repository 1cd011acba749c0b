/** `npm run schemathesis:provision`: finds or installs Schemathesis now (CI runs this before the tests). */
import { provisionSchemathesis } from './schemathesis.js';

try {
  const found = await provisionSchemathesis();
  process.stdout.write(`Schemathesis (${found.origin}): ${found.bin}\n`);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
