/**
 * `npm run bench:cli [-- --runs 10]`: how long `hunt` takes to start from the build in dist/, through the
 * `hunt` command's own path (bin/hunt.js). `node -e 0` — Node's own start, the baseline — `hunt --version`
 * and `hunt validate` of the reference configuration run in turns, so a machine that slows down slows all
 * three alike (and, for comparison, `validate` from the ES module bundle, without the code cache `hunt` uses for
 * the offline commands). Prints each one's median wall and CPU time and its ratio to the baseline. Target (issue 21):
 * both commands under 0.5 s of wall time on a quiet machine; on a busy one, the ratios are what compare.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
// @ts-expect-error -- plain JavaScript without types (it runs before anything is compiled)
import { buildIsCurrent } from '../bin/build-state.js';
import { percentile } from './stats.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const hunt = fileURLToPath(new URL('../bin/hunt.js', import.meta.url));
const BASELINE = 'node -e 0 (baseline)';
const esmBundle = fileURLToPath(new URL('../dist/src/cli-bundle/main.js', import.meta.url));
const commands: ReadonlyArray<[string, string[]]> = [
  [BASELINE, ['-e', '0']],
  ['hunt --version', [hunt, '--version']],
  ['hunt validate examples/treasure-hunt/hunt.yaml', [hunt, 'validate', 'examples/treasure-hunt/hunt.yaml']],
  // For comparison: the same command from the ES module bundle, which Node 20 compiles afresh on every run.
  ['validate from the ES module bundle (no code cache)', [esmBundle, 'validate', 'examples/treasure-hunt/hunt.yaml']],
];

interface Timing {
  wallMs: number;
  cpuMs: number;
}

/** The CPU time (user + system) of this process's waited-for children: cutime + cstime of /proc/self/stat. */
function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const CLOCK_TICKS_PER_SECOND = 100; // sysconf(_SC_CLK_TCK) on Linux
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Runs `node <args>` once, to its exit. */
function timeOnce(args: string[]): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const cpuBefore = childrenCpuMs();
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const wallMs = performance.now() - started;
      if (code !== 0) reject(new Error(`node ${args.join(' ')} exited with ${code}:\n${stderr}`));
      else resolve({ wallMs, cpuMs: childrenCpuMs() - cpuBefore });
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' } } });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, not ${values.runs}`);
  if (!(buildIsCurrent as () => boolean)())
    throw new Error('dist/ is older than the sources (hunt would run them through tsx): run `npm run build` first');
  // One untimed run of each first: a build's first offline command writes the code cache (bin/code-cache.js).
  for (const [, args] of commands) await timeOnce(args);
  const times = new Map(commands.map(([name]) => [name, [] as Timing[]]));
  for (let run = 0; run < runs; run++) for (const [name, args] of commands) times.get(name)!.push(await timeOnce(args));
  const medians = (name: string) => {
    const t = times.get(name)!;
    return {
      wall: percentile(
        t.map((x) => x.wallMs),
        50,
      ),
      cpu: percentile(
        t.map((x) => x.cpuMs),
        50,
      ),
    };
  };
  const base = medians(BASELINE);
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const rows = commands.map(([name]) => {
    const m = medians(name);
    return `| ${name} | ${seconds(m.wall)} | ${seconds(m.cpu)} | ${(m.wall / base.wall).toFixed(1)} | ${(m.cpu / base.cpu).toFixed(1)} |`;
  });
  process.stdout.write(
    [
      `${runs} runs of each, in turns; medians. Load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores.`,
      '',
      '| command | wall | CPU | wall ÷ baseline | CPU ÷ baseline |',
      '| --- | --- | --- | --- | --- |',
      ...rows,
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
