/**
 * `hunt validate`, `hunt lint`, `hunt graph` and `hunt docs`: offline tools over a configuration file. Each
 * command imports what only it needs when it runs, so `hunt validate` loads the compiler alone.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { Option } from 'commander';
import { GRAPH_FORMATS, renderGraph } from '../config/graph-render.js';
import type { GraphFormat } from '../config/graph-render.js';
import {
  compileConfigFile,
  compileConfigText,
  connectorModuleProblems,
  formatProblems,
  loadCompiledConfig,
} from '../config/index.js';
import { loadConfigText } from '../config/loader.js';
import type { CompiledConfig, ConfigProblem } from '../config/index.js';
import { ConfigError } from '../config/index.js';
import { CliError } from './cli-error.js';

/** Registers the configuration commands on the `hunt` program. */
export function registerConfigCommands(program: Command): void {
  program
    .command('validate')
    .description('compile a configuration and report every problem (exit 1 on errors)')
    .argument('<file>', 'configuration file (YAML or JSON)')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, options: { json?: boolean }) => {
      const result = await compileConfigFile(file, { connectorModules: true });
      if (options.json) {
        // One shape both ways (as `lint --json`): `problems` holds the warnings on success, everything on failure.
        const body = result.ok
          ? {
              ok: true,
              name: result.config.name,
              version: result.config.version,
              counts: counts(result.config),
              problems: result.warnings,
            }
          : { ok: false, problems: result.problems };
        process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
        if (!result.ok) process.exitCode = 1;
        return;
      }
      if (!result.ok) throw new CliError(problemReport(result.problems));
      if (result.warnings.length > 0) process.stderr.write(`${formatProblems(result.warnings)}\n`);
      process.stdout.write(`${summary(result.config)}\n`);
    });

  program
    .command('lint')
    .description(
      'static analysis: unknown references, unused events, unreachable rules, emit loops, undeclared fields, unset env',
    )
    .argument('<file>', 'configuration file (YAML or JSON)')
    .option('--json', 'print the problems as JSON')
    .action(async (file: string, options: { json?: boolean }) => {
      const { lintConfigText } = await import('../config/lint.js');
      const text = await readConfigText(file);
      const problems = lintConfigText(text, file, { env: process.env });
      // TypeScript connectors (module, export, input) are checked once the configuration compiles.
      const compiled = compileConfigText(text, file);
      if (compiled.ok) problems.push(...(await connectorModuleProblems(compiled.config, loadConfigText(text, file))));
      const errors = problems.filter((p) => p.severity === 'error').length;
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ ok: errors === 0, problems }, null, 2)}\n`);
      } else if (problems.length > 0) {
        process.stdout.write(`${formatProblems(problems)}\n`);
      }
      if (!options.json) process.stdout.write(`${errors} error(s), ${problems.length - errors} warning(s)\n`);
      if (errors > 0) process.exitCode = 1;
    });

  program
    .command('graph')
    .description('draw sources → events → rules → connectors (and emitted events back into the graph)')
    .argument('<file>', 'configuration file (YAML or JSON)')
    .addOption(new Option('--format <format>', 'output format').choices(GRAPH_FORMATS).default('mermaid'))
    .option('-o, --output <path>', 'write to a file instead of stdout')
    .action(async (file: string, options: { format: GraphFormat; output?: string }) => {
      const config = await loadOrFail(file);
      const { buildGraph } = await import('../config/graph.js');
      await output(renderGraph(buildGraph(config), options.format, config.name), options.output);
    });

  program
    .command('docs')
    .description('Markdown catalog of a configuration; --reference prints the configuration language reference')
    .argument('[file]', 'configuration file (YAML or JSON)')
    .option('--reference', 'print the configuration reference (docs/configuration.md) instead')
    .option('-o, --output <path>', 'write to a file instead of stdout')
    .action(async (file: string | undefined, options: { reference?: boolean; output?: string }) => {
      if (options.reference) {
        const { renderReferenceDocs } = await import('../config/reference-docs.js');
        return output(renderReferenceDocs(), options.output);
      }
      if (file === undefined) throw new CliError('hunt docs needs a configuration file (or --reference)');
      const { renderDocs } = await import('../config/docs.js');
      const config = await loadOrFail(file);
      // A TypeScript connector's input comes from its module; one that does not load is listed without it.
      const { describeConnectorModules } = await import('../config/connector-descriptions.js');
      const { inputs } = await describeConnectorModules(config, file);
      const connectorInputs = Object.fromEntries(inputs);
      return output(renderDocs(config, { connectorInputs }), options.output);
    });
}

function counts(config: CompiledConfig): Record<string, number> {
  return {
    entities: Object.keys(config.entities).length,
    sources: Object.keys(config.sources).length,
    events: Object.keys(config.events).length,
    connectors: Object.keys(config.connectors).length,
    rules: config.rules.length,
  };
}

function summary(config: CompiledConfig): string {
  const parts = Object.entries(counts(config)).map(
    ([kind, n]) => `${n} ${n === 1 ? kind.replace(/ies$/, 'y').replace(/s$/, '') : kind}`,
  );
  return `ok ${config.name} (version ${config.version}): ${parts.join(', ')}`;
}

function problemReport(problems: ConfigProblem[]): string {
  const errors = problems.filter((p) => p.severity === 'error').length;
  return `${formatProblems(problems)}\n${errors} error(s): the configuration is invalid`;
}

async function readConfigText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(err)}`,
    );
  }
}

async function loadOrFail(file: string): Promise<CompiledConfig> {
  try {
    return await loadCompiledConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(problemReport(err.problems));
    throw err;
  }
}

async function output(text: string, path: string | undefined): Promise<void> {
  if (path === undefined) process.stdout.write(text);
  else await writeFile(path, text, 'utf8');
}
