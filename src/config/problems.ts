/** Configuration problems: what was wrong, where (file, line, column, path) and what to do. */
import { EngineError } from '../contract/engine-error.js';

export interface ConfigProblem {
  file: string;
  /** 1-based line, when the text parsed far enough to know it. */
  line?: number;
  /** 1-based column. */
  column?: number;
  /** Where in the document, e.g. `rules[2].on` or `events["payment.succeeded"].schema`. */
  path: string;
  message: string;
  /** A likely intended value, shown as "did you mean …?". */
  suggestion?: string;
  severity: 'error' | 'warning';
}

/** A configuration that does not compile: carries every problem found, not just the first. */
export class ConfigError extends EngineError {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: ConfigProblem[]) {
    const errors = problems.filter((p) => p.severity === 'error').length;
    super(`configuration is invalid (${errors} error${errors === 1 ? '' : 's'}):\n${formatProblems(problems)}`);
  }
}

/** One problem as `file:line:col path: message (did you mean …?)`. */
export function formatProblem(problem: ConfigProblem): string {
  const where = [problem.file, problem.line, problem.line === undefined ? undefined : problem.column]
    .filter((part) => part !== undefined)
    .join(':');
  const severity = problem.severity === 'warning' ? 'warning: ' : '';
  const hint = problem.suggestion === undefined ? '' : ` (did you mean "${problem.suggestion}"?)`;
  return `${where} ${problem.path}: ${severity}${problem.message}${hint}`;
}

/** Every problem, one per line, in document order. */
export function formatProblems(problems: ConfigProblem[]): string {
  return sortProblems(problems).map(formatProblem).join('\n');
}

/** Document order (line, column), problems without a position last; stable otherwise. */
export function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0));
}
