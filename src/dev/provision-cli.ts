/** `npm run temporal:provision`: finds or builds the Temporal CLI now (CI runs this before the tests). */
import { provisionTemporalCli } from './temporal-cli.js';

try {
  const cli = await provisionTemporalCli();
  process.stdout.write(`Temporal CLI (${cli.origin}): ${cli.path}\n`);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
