/**
 * Docker does not run here, so the compose file is checked against the app itself: every setting parses,
 * every variable the example config needs is set, ports agree, and services start in the right order.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { clusterFiles } from '../../src/cluster/cluster.js';
import { renderTemplate } from '../../src/cluster/nginx-config.js';
import { loadCompiledConfig } from '../../src/config/index.js';
import { connectorEnvVariables, sourceSecretVariables } from '../../src/dev/dev-secrets.js';
import { loadSettings } from '../../src/settings/settings.js';
import { searchAttributeDefinitions } from '../../src/contract/search-attributes.js';

interface Service {
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  ports?: string[];
  expose?: string[];
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
  command?: string | string[];
  entrypoint?: string | string[];
  volumes?: string[];
}

const compose = parse(await fs.readFile('docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;
const service = (name: string): Service => {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
};
const ingestServices = ['hunt-ingest-1', 'hunt-ingest-2'];
const engineServices = ['hunt-worker', ...ingestServices];

describe('docker-compose.yml', () => {
  it('has an opt-in Kafka service in KRaft mode whose brokers the engine can reach', () => {
    const kafka = service('kafka') as Service & { profiles?: string[] };
    expect(kafka.image).toMatch(/^apache\/kafka:4\./);
    expect(kafka.profiles).toEqual(['kafka']);
    const env = kafka.environment ?? {};
    expect(env.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe('1@kafka:9093');
    expect(env.KAFKA_ADVERTISED_LISTENERS).toContain('PLAINTEXT://kafka:9092');
    expect(Object.keys(env).some((name) => name.includes('ZOOKEEPER'))).toBe(false);
  });

  it('uses the official images of the PostgreSQL setup, not the deprecated auto-setup', () => {
    expect(service('postgresql').image).toBe('postgres:16');
    expect(service('temporal-admin-tools').image).toMatch(/^temporalio\/admin-tools:/);
    expect(service('temporal').image).toMatch(/^temporalio\/server:/);
    expect(service('temporal-create-namespace').image).toMatch(/^temporalio\/admin-tools:/);
    expect(service('temporal-ui').image).toMatch(/^temporalio\/ui:/);
    expect(service('temporal-ui').ports).toContain('8080:8080');
    for (const s of Object.values(services)) expect(s.image ?? '').not.toMatch(/auto-setup/);
  });

  it('starts services in dependency order', () => {
    expect(service('temporal-admin-tools').depends_on?.postgresql?.condition).toBe('service_healthy');
    expect(service('temporal').depends_on?.['temporal-admin-tools']?.condition).toBe('service_completed_successfully');
    expect(service('temporal-create-namespace').depends_on?.temporal?.condition).toBe('service_healthy');
    expect(service('temporal-ui').depends_on?.temporal?.condition).toBe('service_healthy');
    for (const name of engineServices) {
      expect(service(name).depends_on?.['temporal-create-namespace']?.condition).toBe('service_completed_successfully');
      expect(service(name).build).toBe('.');
    }
  });

  it('runs two worker replicas and two ingest instances, each in its role', () => {
    expect(service('hunt-worker').deploy?.replicas).toBe(2);
    expect(service('hunt-worker').environment?.HUNT_ROLE).toBe('worker');
    for (const name of ingestServices) expect(service(name).environment?.HUNT_ROLE).toBe('ingest');
  });

  it.each(engineServices)('gives %s settings the app accepts, pointing at the compose Temporal', (name) => {
    const env = service(name).environment!;
    const settings = loadSettings(env, '/app');
    expect(settings.embedded).toBe(false);
    const [host, port] = settings.temporalAddress.split(':');
    expect(Object.keys(services)).toContain(host);
    expect(service(host!).ports).toContain(`${port}:${port}`);
  });

  it('puts nginx in front of both ingest instances, on the port they listen on, bound to all interfaces', () => {
    const lb = service('hunt-lb');
    expect(lb.image).toMatch(/^nginx:/);
    for (const [i, name] of ingestServices.entries()) {
      const settings = loadSettings(service(name).environment, '/app');
      expect(settings.HUNT_HOST).toBe('0.0.0.0');
      expect(service(name).expose).toContain(String(settings.HUNT_PORT));
      expect(service(name).ports).toBeUndefined();
      expect(lb.environment?.[`HUNT_INGEST_${i + 1}`]).toBe(`${name}:${settings.HUNT_PORT}`);
      expect(lb.depends_on?.[name]?.condition).toBe('service_healthy');
    }
    expect(lb.ports).toContain(`${lb.environment?.HUNT_LB_LISTEN}:${lb.environment?.HUNT_LB_LISTEN}`);
  });

  it('mounts the files npm run cluster starts its parts with (one topology, two ways to run it)', () => {
    const mounted = (name: string) =>
      (services[name]?.volumes ?? []).map((volume) => path.resolve(volume.split(':')[0]!));
    expect(mounted('temporal')).toContain(clusterFiles.serverConfig);
    expect(mounted('temporal')).toContain(path.dirname(clusterFiles.dynamicConfig));
    expect(mounted('hunt-lb')).toContain(clusterFiles.nginxTemplate);
    expect(mounted('temporal-admin-tools')).toContain(path.dirname(clusterFiles.schemaScript));
    expect(mounted('temporal-create-namespace')).toContain(path.dirname(clusterFiles.namespaceScript));
    const temporal = service('temporal');
    const entrypoint = temporal.entrypoint as string[];
    const root = entrypoint[entrypoint.indexOf('--root') + 1];
    expect(temporal.volumes).toContain(`./deploy/compose/temporal/cluster.yaml:${root}/cluster.yaml:ro`);
    expect(entrypoint[entrypoint.indexOf('--env') + 1]).toBe(path.basename(clusterFiles.serverConfig, '.yaml'));
    expect(temporal.environment?.DYNAMIC_CONFIG_FILE_PATH).toBe(
      `${root}/dynamicconfig/${path.basename(clusterFiles.dynamicConfig)}`,
    );
  });

  it('sets every variable the load balancer template reads', async () => {
    const template = await fs.readFile(clusterFiles.nginxTemplate, 'utf8');
    const variables = new Set([...template.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1]!));
    expect([...variables].sort()).toEqual(Object.keys(service('hunt-lb').environment ?? {}).sort());
    expect(renderTemplate(template, service('hunt-lb').environment ?? {})).not.toContain('${');
  });

  it.each(engineServices)('sets in %s every variable the example config needs', async (name) => {
    const env = service(name).environment!;
    const config = await loadCompiledConfig(loadSettings(env, process.cwd()).configPath);
    const needed = new Set(sourceSecretVariables(config).map((s) => s.variable));
    for (const variable of connectorEnvVariables(config)) needed.add(variable);
    expect(needed.size).toBeGreaterThan(0);
    for (const variable of needed) expect(env, `${name} lacks ${variable}`).toHaveProperty(variable);
  });

  it('points the connectors at the sandbox service on the port it listens on', () => {
    const command = service('hunt-sandbox').command as string[];
    const port = command[command.indexOf('--port') + 1];
    expect(service('hunt-sandbox').expose).toContain(port);
    for (const name of engineServices) {
      for (const variable of ['MAILER_URL', 'PAYOUTS_URL', 'LEADERBOARD_URL']) {
        expect(service(name).environment?.[variable]).toMatch(new RegExp(`^http://hunt-sandbox:${port}/`));
      }
    }
  });

  it('registers exactly the search attributes the workflows use', async () => {
    const script = await fs.readFile('deploy/compose/scripts/create-namespace.sh', 'utf8');
    const pairs = [...script.matchAll(/(Hunt[A-Za-z]+)=([A-Za-z]+)/g)].map((m) => [m[1], m[2]]);
    expect(Object.fromEntries(pairs)).toEqual(searchAttributeDefinitions);
  });

  it('builds an image that compiles the engine in a build stage and runs the compiled code', async () => {
    const dockerfile = await fs.readFile('Dockerfile', 'utf8');
    const [build, runtime] = dockerfile.split(/^FROM .*$/m).slice(1);
    for (const dir of ['src', 'workflows', 'activities']) expect(build).toContain(`COPY ${dir} ./${dir}`);
    for (const file of ['tsconfig.build.json', 'scripts/build.ts']) expect(build).toContain(file);
    expect(runtime).toContain('COPY --from=build /app/dist ./dist');
    expect(runtime).toContain('COPY examples ./examples');
    expect(runtime).not.toMatch(/COPY (src|workflows|activities) /);
    expect(runtime).toMatch(/CMD \["node", "dist\/src\/main.js"\]/);
  });
});
