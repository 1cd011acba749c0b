/**
 * Writes a cache file whole: to another name first, then renamed, so a run reading it at the same time sees the
 * old file or the new one, never half of one. A cache that cannot be written is no error: the caller computes
 * again next time. Returns whether it was written.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function writeCacheFile(file: string, content: string): boolean {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, content);
    renameSync(partial, file);
    return true;
  } catch {
    return false;
  }
}
