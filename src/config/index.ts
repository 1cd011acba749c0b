/**
 * The configuration compiler's public API: text or file in, `CompiledConfig` (or every problem,
 * located) out.
 */
import { readFile } from 'node:fs/promises';
import type { CompiledConfig } from './compiled.js';
import type { DescribeOptions } from './connector-descriptions.js';
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
  return compileDocument(loadConfigText(text, file));
}

function compileDocument(doc: LoadedDocument): CompileResult {
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

export interface CompileFileOptions {
  /**
   * Also load its TypeScript connectors (`connectors.<name>.module`) and check each: the module exists, exports a
   * `defineConnector` of that name, and the calls' bodies fit its input. `hunt validate`, `hunt lint` and the
   * worker do; commands that never run a connector do not pay for loading them.
   */
  connectorModules?: boolean;
  /** Where the modules' descriptions are cached (connector-descriptions.ts); `false` imports every module. */
  descriptionCache?: string | false;
}

/** Reads and compiles a configuration file. An unreadable file is reported as a problem. */
export async function compileConfigFile(path: string, options: CompileFileOptions = {}): Promise<CompileResult> {
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
  const doc = loadConfigText(text, path);
  const result = compileDocument(doc);
  if (!options.connectorModules || !result.ok) return result;
  const problems = await connectorModuleProblems(
    result.config,
    doc,
    options.descriptionCache === undefined ? {} : { cacheDir: options.descriptionCache },
  );
  if (problems.length === 0) return result;
  return { ok: false, problems: sortProblems([...result.warnings, ...problems]) };
}

/** Problems of a compiled configuration's TypeScript connectors, located at their place in the file. */
export async function connectorModuleProblems(
  config: CompiledConfig,
  doc: LoadedDocument,
  options: DescribeOptions = {},
): Promise<ConfigProblem[]> {
  if (!Object.values(config.connectors).some((c) => c.module)) return [];
  const { describeConnectorModules } = await import('./connector-descriptions.js');
  const { checkCallInputs } = await import('./connector-input-check.js');
  const { inputs, problems } = await describeConnectorModules(config, doc.file, options);
  const located = (path: PathSegment[], message: string): ConfigProblem => ({
    file: doc.file,
    ...doc.locate(path),
    path: formatPath(path),
    message,
    severity: 'error',
  });
  return [
    ...problems.map((p) => located(['connectors', p.connector, 'module'], `connector "${p.connector}": ${p.reason}`)),
    ...checkCallInputs(config, inputs).map((p) => {
      // A field the body lacks (or a literal body) is located at the nearest place the file has.
      const path: PathSegment[] = [];
      for (const segment of p.path) {
        if (typeof segment === 'number' && !Array.isArray(valueAt(doc.value, path))) break;
        if (valueAt(doc.value, [...path, segment]) === undefined) break;
        path.push(segment);
      }
      return { ...located(path, p.message), path: formatPath(p.path) };
    }),
  ];
}

/** Loads and compiles a configuration file, throwing `ConfigError` with every problem when it is invalid. */
export async function loadCompiledConfig(path: string, options: CompileFileOptions = {}): Promise<CompiledConfig> {
  const result = await compileConfigFile(path, options);
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
