/**
 * nginx for the cluster: the load balancer template docker-compose.yml mounts
 * (deploy/compose/nginx/ingest.conf.template), rendered the way the nginx image renders it (envsubst
 * of the variables given, nothing else: `$host` stays nginx's), inside a main config of our own that
 * keeps nginx's pid, logs and temporary files in the state directory.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { ClusterSetupError } from './cluster-binaries.js';

/** Replaces `${NAME}` for each NAME in `values`; any other `${…}` left over is an error. */
export function renderTemplate(template: string, values: Record<string, string>): string {
  const rendered = template.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => values[name] ?? whole);
  const left = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(rendered);
  if (left) throw new ClusterSetupError(`nginx template: no value for \${${left[1]}}`);
  return rendered;
}

/** The variables the load balancer template reads, for the given upstream addresses and listen address. */
export function loadBalancerVariables(ingest: string[], listen: string): Record<string, string> {
  if (ingest.length !== 2) throw new ClusterSetupError('the load balancer template has two ingest upstreams');
  return { HUNT_INGEST_1: ingest[0]!, HUNT_INGEST_2: ingest[1]!, HUNT_LB_LISTEN: listen };
}

/** Writes `<dir>/nginx.conf` (main) and `<dir>/conf.d/ingest.conf` (the rendered template); returns the main file. */
export async function writeNginxConfig(options: {
  templateFile: string;
  dir: string;
  logDir: string;
  variables: Record<string, string>;
}): Promise<string> {
  const { dir } = options;
  await fs.mkdir(path.join(dir, 'conf.d'), { recursive: true });
  await fs.mkdir(path.join(dir, 'temp'), { recursive: true });
  await fs.mkdir(options.logDir, { recursive: true });
  const server = renderTemplate(await fs.readFile(options.templateFile, 'utf8'), options.variables);
  await fs.writeFile(path.join(dir, 'conf.d', 'ingest.conf'), server);
  const temp = (name: string) => `${name}_temp_path ${path.join(dir, 'temp', name)};`;
  const main = [
    '# Written by `npm run cluster` (src/cluster/nginx-config.ts); the server block is conf.d/ingest.conf.',
    'daemon off;',
    'worker_processes 1;',
    `pid ${path.join(dir, 'nginx.pid')};`,
    `error_log ${path.join(options.logDir, 'nginx-error.log')} warn;`,
    'events { worker_connections 1024; }',
    'http {',
    '    access_log off;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => `    ${temp(name)}`),
    `    include ${path.join(dir, 'conf.d', '*.conf')};`,
    '}',
    '',
  ].join('\n');
  const mainFile = path.join(dir, 'nginx.conf');
  await fs.writeFile(mainFile, main);
  return mainFile;
}
