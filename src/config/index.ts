/**
 * The configuration compiler's public API: text or file in, `CompiledConfig` (or every problem,
 * located) out.
 */
import { readFile } from 'node:fs/promises';
import type { CompiledConfig } from './compiled.js';
import { compileConfig } from './compiler.js';
import { loadConfigText } from './loader.js';
import type { LoadedDocument } from './loader.js';
import { formatPath } from './paths.js';
import type { PathSegment } from './paths.js';
import { ConfigError, sortProblems } from './problems.js';
import type { ConfigProblem } from './problems.js';
import { checkCelTypes } from './cel-types.js';
import { checkReferences } from './references.js';
import { configSchema } from './schema.js';
import { problemsFromIssues, valueAt } from './zod-problems.js';

export type { ConfigProblem } from './problems.js';
export { ConfigError, formatProblems } from './problems.js';
export type * from './compiled.js';

export type CompileResult =
  { ok: true; config: CompiledConfig; warnings: ConfigProblem[] } | { ok: false; problems: ConfigProblem[] };

/** Compiles configuration text (YAML or JSON); never throws — problems come back located. */
export function compileConfigText(text: string, file: string): CompileResult {
  const doc = loadConfigText(text, file);
  if (doc.problems.some((p) => p.severity === 'error')) return { ok: false, problems: sortProblems(doc.problems) };
  const parsed = configSchema.safeParse(doc.value);
  const problems = [
    ...doc.problems,
    ...(parsed.success ? [] : problemsFromIssues(parsed.error.issues, doc)),
    ...referenceProblems(doc),
  ];
  problems.push(...advisories(doc));
  const deduped = dedupe(problems);
  if (!parsed.success || deduped.some((p) => p.severity === 'error'))
    return { ok: false, problems: sortProblems(deduped) };
  const config = compileConfig(parsed.data);
  // Types are checked over the compiled form (defaults filled in, shorthands expanded), located in the source.
  const typeErrors = checkCelTypes(config).map((problem): ConfigProblem => {
    const path: PathSegment[] = [];
    for (const segment of problem.path) {
      if (typeof segment === 'number' && !Array.isArray(valueAt(doc.value, path))) break;
      path.push(segment);
    }
    return { file: doc.file, ...doc.locate(path), path: formatPath(path), message: problem.message, severity: 'error' };
  });
  if (typeErrors.length > 0) return { ok: false, problems: sortProblems([...deduped, ...typeErrors]) };
  return { ok: true, config, warnings: sortProblems(deduped) };
}

/** Reads and compiles a configuration file. An unreadable file is reported as a problem. */
export async function compileConfigFile(path: string): Promise<CompileResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(err);
    return {
      ok: false,
      problems: [
        { file: path, path: '(file)', message: `cannot read the configuration: ${reason}`, severity: 'error' },
      ],
    };
  }
  return compileConfigText(text, path);
}

/** Loads and compiles a configuration file, throwing `ConfigError` with every problem when it is invalid. */
export async function loadCompiledConfig(path: string): Promise<CompiledConfig> {
  const result = await compileConfigFile(path);
  if (!result.ok) throw new ConfigError(result.problems);
  return result.config;
}

function referenceProblems(doc: LoadedDocument): ConfigProblem[] {
  return checkReferences(doc.value).map((issue) => ({
    file: doc.file,
    ...doc.locate(issue.path, { key: issue.atKey ?? false }),
    path: formatPath(issue.path),
    message: issue.message,
    severity: issue.severity,
    ...(issue.suggestion === undefined ? {} : { suggestion: issue.suggestion }),
  }));
}

/** Warnings that are not errors but that the author must have chosen on purpose. */
function advisories(doc: LoadedDocument): ConfigProblem[] {
  const sources = (doc.value as { sources?: unknown } | undefined)?.sources;
  if (typeof sources !== 'object' || sources === null) return [];
  return Object.entries(sources as Record<string, { auth?: unknown } | null>)
    .filter(([, source]) => source?.auth === 'none')
    .map(([name]) => {
      const path = ['sources', name, 'auth'];
      return {
        file: doc.file,
        ...doc.locate(path),
        path: formatPath(path),
        message: `source "${name}" accepts unauthenticated events: fine for local development, never in production`,
        severity: 'warning' as const,
      };
    });
}

function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export { formatProblem } from './problems.js';
