/** `npm run cluster:provision`: installs and builds everything `npm run cluster` runs, now (CI runs this before the tests). */
import { provisionClusterBinaries } from './cluster-binaries.js';

const started = Date.now();
try {
  const binaries = await provisionClusterBinaries();
  for (const [part, file] of Object.entries(binaries)) process.stdout.write(`${part.padEnd(12)} ${file}\n`);
  process.stdout.write(`cluster parts ready in ${Math.round((Date.now() - started) / 1000)} s\n`);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
