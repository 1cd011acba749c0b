// Whether dist/ holds a complete build at least as new as everything it is made from. Cheap (a few hundred
// stats), so `hunt` and `npm start` check it on every run. Where there are no sources (the Docker image)
// the build is current by definition.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (this file is in bin/). */
export const root = fileURLToPath(new URL('..', import.meta.url));

const sourceDirs = ['src', 'workflows', 'activities'];
const sourceFiles = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build.ts'];

/** @param {string} entry @returns {number} the newest mtime in a file or directory tree (0 if absent) */
function newestMtime(entry) {
  let stat;
  try {
    stat = fs.statSync(entry);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted file shows as its directory's mtime
  for (const name of fs.readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, name)));
  return newest;
}

/**
 * True when `<projectRoot>/dist` was built after the last change to any source it is compiled from.
 * @param {string} [projectRoot]
 */
export function buildIsCurrent(projectRoot = root) {
  let built;
  try {
    built = fs.statSync(path.join(projectRoot, 'dist', '.build-stamp')).mtimeMs;
  } catch {
    return false;
  }
  const sources = [...sourceDirs, ...sourceFiles].map((entry) => newestMtime(path.join(projectRoot, entry)));
  return Math.max(...sources) <= built;
}
