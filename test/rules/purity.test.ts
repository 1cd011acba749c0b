import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const rulesDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'rules');

const NODE_BUILTINS = [
  'assert',
  'buffer',
  'child_process',
  'cluster',
  'crypto',
  'dgram',
  'dns',
  'events',
  'fs',
  'fs/promises',
  'http',
  'http2',
  'https',
  'net',
  'os',
  'path',
  'perf_hooks',
  'process',
  'readline',
  'stream',
  'timers',
  'tls',
  'url',
  'util',
  'v8',
  'vm',
  'worker_threads',
  'zlib',
];
const FORBIDDEN_MODULES = new Set([...NODE_BUILTINS, 'pino', 'pino-pretty', 'zod']);

const FORBIDDEN_CODE: Array<[RegExp, string]> = [
  [/\bDate\.now\s*\(/, 'Date.now()'],
  [/\bnew\s+Date\s*\(\s*\)/, 'new Date() without arguments'],
  [/\bMath\.random\s*\(/, 'Math.random()'],
  [/\bsetTimeout\s*\(/, 'setTimeout'],
  [/\bsetInterval\s*\(/, 'setInterval'],
  [/\bprocess\./, 'process'],
  [/\bperformance\.now\s*\(/, 'performance.now()'],
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** Problems of one file's text: forbidden imports and nondeterministic calls. */
export function impurities(text: string): string[] {
  const problems: string[] = [];
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
  for (const match of code.matchAll(
    /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]|require\s*\(\s*['"]([^'"]+)['"]/g,
  )) {
    const spec = match[1] ?? match[2] ?? match[3] ?? '';
    if (spec.startsWith('node:') || FORBIDDEN_MODULES.has(spec) || FORBIDDEN_MODULES.has(spec.split('/')[0] ?? '')) {
      problems.push(`imports ${spec}`);
    }
  }
  for (const [pattern, what] of FORBIDDEN_CODE) if (pattern.test(code)) problems.push(`uses ${what}`);
  return problems;
}

describe('src/rules purity', () => {
  it('no file imports node built-ins, pino or zod, or reads clocks, randomness, timers or process', () => {
    const files = sourceFiles(rulesDir);
    expect(files.length).toBeGreaterThan(5);
    const found = files.flatMap((file) =>
      impurities(readFileSync(file, 'utf8')).map((p) => `${relative(rulesDir, file)}: ${p}`),
    );
    expect(found).toEqual([]);
  });

  it('the guard catches each forbidden thing', () => {
    expect(impurities("import { readFile } from 'node:fs/promises';")).toEqual(['imports node:fs/promises']);
    expect(impurities("import path from 'path';")).toEqual(['imports path']);
    expect(impurities("import type { Logger } from 'pino';")).toEqual(['imports pino']);
    expect(impurities("import { z } from 'zod';")).toEqual(['imports zod']);
    expect(impurities('const t = Date.now();')).toEqual(['uses Date.now()']);
    expect(impurities('const t = new Date();')).toEqual(['uses new Date() without arguments']);
    expect(impurities('const t = new Date(5);')).toEqual([]);
    expect(impurities('const r = Math.random();')).toEqual(['uses Math.random()']);
    expect(impurities('setTimeout(() => 1, 5);')).toEqual(['uses setTimeout']);
    expect(impurities('const e = process.env.X;')).toEqual(['uses process']);
    expect(impurities('// Date.now() in a comment is fine')).toEqual([]);
  });
});
