// `npm start`: builds dist/ first when the sources are newer than it, then runs the compiled engine in this
// process (so Ctrl-C and SIGTERM reach it directly).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { buildIsCurrent, root } from './build-state.js';

if (!buildIsCurrent()) {
  const build = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/build.ts')], {
    stdio: 'inherit',
    cwd: root,
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
await import('../dist/src/main.js');
