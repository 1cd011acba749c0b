/**
 * Resolves the `{{ env.X }}` placeholders left in a connector request. This runs inside the activity
 * only, so secrets never enter workflow history. Only placeholders that read `env` are evaluated:
 * other `{{ … }}` text (a mailer's own template syntax, say) is passed through untouched.
 */
import type { Json, Template } from '../src/config/compiled.js';
import { placeholderSpans, rootsOf } from '../src/rules/expressions.js';
import { renderTemplate } from '../src/rules/templates.js';
import type { SecretScrubber } from './http-secrets.js';
import { EngineError } from '../src/contract/engine-error.js';

/** A connector request that cannot be built from its configuration and this worker's environment. */
export class ConnectorConfigError extends EngineError {
  override readonly name = 'ConnectorConfigError';
  readonly code = 'CONNECTOR_CONFIG_INVALID';
}

const ENV_NAME = /\benv\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*(?:"([^"]+)"|'([^']+)')\s*\])/g;

/** Names of the environment variables an expression reads as `env.NAME` or `env["NAME"]`. */
export function envNamesOf(expression: string): string[] {
  return [...expression.matchAll(ENV_NAME)].map((m) => m[1] ?? m[2] ?? m[3] ?? '').filter((n) => n !== '');
}

function readsEnv(expression: string): boolean {
  try {
    return rootsOf(expression).includes('env');
  } catch {
    // Not CEL (e.g. `{{#each items}}` for the partner's own templates): not ours to resolve.
    return false;
  }
}

/**
 * Returns a function resolving `env` placeholders in a template. Every env value it reads is
 * registered with `scrubber`, so it can be removed from anything recorded about the call.
 */
export function createEnvResolver(
  env: Record<string, string | undefined>,
  scrubber: SecretScrubber,
): (template: Template, where: string) => Json {
  const evaluate = (expression: string, where: string): Json => {
    const names = envNamesOf(expression);
    if (names.length === 0) {
      throw new ConnectorConfigError(
        `${where}: "{{ ${expression} }}" reads env as a whole; name the variable, e.g. {{ env.MAILER_TOKEN }}`,
      );
    }
    const scope: Record<string, string> = {};
    for (const name of names) {
      const value = env[name];
      if (value === undefined) {
        throw new ConnectorConfigError(
          `${where}: environment variable ${name} is not set on this worker; set it and redrive the dead letter`,
        );
      }
      scope[name] = value;
      scrubber.add(value, `env.${name}`);
    }
    try {
      // Only the named variables are in scope, so an expression cannot list the worker's whole environment.
      return renderTemplate(`{{ ${expression} }}`, { env: scope });
    } catch (err) {
      const reason = scrubber.scrub(err instanceof Error ? err.message : String(err));
      throw new ConnectorConfigError(`${where}: cannot evaluate "{{ ${expression} }}": ${reason}`);
    }
  };

  const resolveString = (text: string, where: string): Json => {
    const spans = placeholderSpans(text).filter((s) => readsEnv(s.expression));
    if (spans.length === 0) return text;
    const only = spans[0];
    if (spans.length === 1 && only && only.start === 0 && only.end === text.length)
      return evaluate(only.expression, where);
    let out = '';
    let from = 0;
    for (const span of spans) {
      const value = evaluate(span.expression, where);
      out += text.slice(from, span.start) + (typeof value === 'string' ? value : JSON.stringify(value));
      from = span.end;
    }
    return out + text.slice(from);
  };

  const resolve = (template: Template, where: string): Json => {
    if (typeof template === 'string') return resolveString(template, where);
    if (Array.isArray(template)) return template.map((item, i) => resolve(item, `${where}[${i}]`));
    if (template !== null && typeof template === 'object') {
      const out: Record<string, Json> = {};
      for (const [key, value] of Object.entries(template)) out[key] = resolve(value, `${where}.${key}`);
      return out;
    }
    return template;
  };
  return resolve;
}
