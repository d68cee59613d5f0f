import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ALL_SEARCH_ATTRIBUTES } from '../../common/search-attributes';
import { ENV_VARIABLES, OTHER_VARIABLES, SOURCE_VARIABLES } from '../../common/config';

// docker-compose.yml cannot run here (no Docker engine), so it is checked as data: the dependency
// graph, ports, pinned images, commands that exist after the build, and env names the code reads.

const ROOT = join(__dirname, '../..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

/* eslint-disable @typescript-eslint/no-explicit-any */
type Service = Record<string, any>;

const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const PROJECT_IMAGE = 'flxpoint-temporal:dev';
const projectServices = Object.entries(services).filter(([, s]) => s.image === PROJECT_IMAGE);

function knownEnv(): (name: string) => boolean {
  const names = new Set<string>([
    ...Object.keys(ENV_VARIABLES),
    ...Object.keys(SOURCE_VARIABLES),
    ...OTHER_VARIABLES,
  ]);
  return (name) => names.has(name) || /^FLXPOINT_TOKEN_[A-Z0-9_]+$/.test(name);
}

const envOf = (s: Service): Record<string, string> =>
  Array.isArray(s.environment)
    ? Object.fromEntries(s.environment.map((e: string) => e.split(/=(.*)/s).slice(0, 2)))
    : (s.environment ?? {});

describe('docker-compose.yml', () => {
  it('has the whole stack', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'codec-server',
        'intake',
        'postgresql',
        'simulator',
        'temporal',
        'temporal-schema',
        'temporal-search-attributes',
        'temporal-ui',
        'worker',
      ].sort(),
    );
    expect(projectServices.map(([n]) => n).sort()).toEqual(['codec-server', 'intake', 'simulator', 'worker']);
    for (const [name, s] of projectServices) expect(s.build?.dockerfile, name).toBe('Dockerfile');
  });

  it('depends only on services that exist, with conditions they can meet', () => {
    for (const [name, s] of Object.entries(services)) {
      const deps = Array.isArray(s.depends_on)
        ? Object.fromEntries(s.depends_on.map((d: string) => [d, { condition: 'service_started' }]))
        : (s.depends_on ?? {});
      for (const [dep, spec] of Object.entries(deps as Record<string, { condition: string }>)) {
        expect(services[dep], `${name} depends on unknown service ${dep}`).toBeDefined();
        if (spec.condition === 'service_healthy') {
          expect(
            services[dep]!.healthcheck,
            `${name} waits for ${dep} to be healthy: it needs a healthcheck`,
          ).toBeDefined();
        }
        if (spec.condition === 'service_completed_successfully') {
          // A one-shot: never restarted once it succeeded (on-failure retries a start before its database).
          expect(services[dep]!.restart, `${dep} is a one-shot`).toMatch(/^(no|on-failure(:\d+)?)$/);
        }
      }
    }
    expect(Object.keys(services.worker!.depends_on)).toEqual(
      expect.arrayContaining(['temporal-search-attributes', 'postgresql', 'simulator']),
    );
  });

  it('publishes each host port once', () => {
    const hostPorts = Object.values(services).flatMap((s) =>
      (s.ports ?? []).map((p: string) => String(p).split(':').slice(-2, -1)[0] ?? String(p)),
    );
    expect(new Set(hostPorts).size, hostPorts.join(', ')).toBe(hostPorts.length);
  });

  it('pins every image (no latest)', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.image, name).toMatch(/^[\w./-]+:[\w.-]+$/);
      expect(s.image, name).not.toMatch(/:latest$/);
    }
  });

  it('runs project commands that exist after the build', () => {
    for (const [name, s] of projectServices) {
      const script = (s.command as string[]).find((c) => /^dist\/.+\.js$/.test(c));
      expect(s.command[0], name).toBe('node');
      const source = script!.replace(/^dist\//, '').replace(/\.js$/, '.ts');
      expect(existsSync(join(ROOT, source)), `${name}: ${source}`).toBe(true);
    }
    expect(services.simulator!.command).toEqual(
      expect.arrayContaining(['--port', '8787', '--seed-count', '25']),
    );
  });

  it('sets only env names the configuration code reads, on the project services', () => {
    const known = knownEnv();
    const unknown = projectServices.flatMap(([name, s]) =>
      Object.keys(envOf(s))
        .filter((k) => !known(k))
        .map((k) => `${name}.${k}`),
    );
    expect(unknown, `unknown env vars: ${unknown.join(', ')}`).toEqual([]);
  });

  it('wires the worker to its own database, the simulator and the schedules', () => {
    const worker = envOf(services.worker!);
    const db = envOf(services.postgresql!);
    expect(services.postgresql!.image).toBe('postgres:16');
    expect(worker.STORE_URL).toBe(
      `postgres://${db.POSTGRES_USER}:${db.POSTGRES_PASSWORD}@postgresql:5432/${db.POSTGRES_DB}`,
    );
    expect(db.POSTGRES_DB).toBe('flxpoint');
    expect(worker.FLXPOINT_BASE_URL).toBe('http://simulator:8787');
    expect(worker.ENSURE_SCHEDULES_ON_START).toBe('true');
    expect(worker.TEMPORAL_ADDRESS).toBe('temporal:7233');
    for (const key of worker.FLXPOINT_SOURCES!.split(',').map((s) => s.split(':')[0]!)) {
      expect(worker[`FLXPOINT_TOKEN_${key.toUpperCase()}`], key).toBeTruthy();
    }
    expect(envOf(services.temporal!)).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' });
  });

  it('runs the Temporal server release, config and setup scripts the local cluster is tested with', () => {
    const cluster = read('scripts/temporal-cluster.sh');
    const version = /^TEMPORAL_SERVER_VERSION="([\d.]+)"/m.exec(cluster)![1]!;
    expect(services.temporal!.image).toBe(`temporalio/server:${version}`);
    for (const name of ['temporal-schema', 'temporal-search-attributes'])
      expect(services[name]!.image, name).toBe(`temporalio/admin-tools:${version}`);
    // The Web UI release the cluster script builds and starts beside it.
    const ui = /^TEMPORAL_UI_VERSION="([\d.]+)"/m.exec(cluster)![1]!;
    expect(services['temporal-ui']!.image).toBe(`temporalio/ui:${ui}`);
    // Same dynamic config file, same schema and namespace scripts as scripts/temporal-cluster.sh.
    const temporalEnv = envOf(services.temporal!);
    const mount = (services.temporal!.volumes as string[]).find((v) => v.includes('dynamicconfig'))!;
    expect(mount.split(':')[0]).toBe('./deploy/temporal/dynamicconfig.yaml');
    expect(mount.split(':')[1]).toBe(temporalEnv.DYNAMIC_CONFIG_FILE_PATH);
    expect(cluster).toContain('deploy/temporal/dynamicconfig.yaml');
    expect(cluster).toContain('deploy/temporal/setup-schema.sh');
    expect(cluster).toContain('deploy/temporal/setup-namespace.sh');
    expect(cluster).toContain('config/docker.yaml');
    expect(services['temporal-schema']!.entrypoint).toEqual(['/bin/sh', '/deploy/setup-schema.sh']);
    expect(temporalEnv.NUM_HISTORY_SHARDS).toBe('4');
    expect(cluster).toContain('NUM_HISTORY_SHARDS=4');
  });

  it('registers every search attribute and points the Web UI at the codec server', () => {
    const job = services['temporal-search-attributes']!;
    expect(job.entrypoint).toEqual(['/bin/sh', '/deploy/setup-namespace.sh']);
    // The CLI's type names: KEYWORD is `Keyword`.
    const cliType = (t: string) => t.charAt(0) + t.slice(1).toLowerCase();
    expect(job.command).toEqual(ALL_SEARCH_ATTRIBUTES.map((sa) => `${sa.name}=${cliType(sa.type)}`));
    expect(read('deploy/temporal/setup-namespace.sh')).toMatch(/search-attribute create .*--type "\$type"/);
    const ui = envOf(services['temporal-ui']!);
    const codec = envOf(services['codec-server']!);
    const codecPort = new URL(ui.TEMPORAL_CODEC_ENDPOINT!).port;
    expect(services['codec-server']!.ports).toContain(`${codecPort}:${codec.CODEC_PORT}`);
    const uiHostPort = (services['temporal-ui']!.ports as string[])[0]!.split(':')[0];
    expect(codec.CODEC_ALLOWED_ORIGINS!.split(',')).toContain(`http://localhost:${uiHostPort}`);
    // The codec server decrypts what the workers encrypt: same key ring.
    expect(codec.FLXPOINT_ENCRYPTION_KEYS).toBe(envOf(services.worker!).FLXPOINT_ENCRYPTION_KEYS);
    expect(envOf(services.intake!).FLXPOINT_ENCRYPTION_KEYS).toBe(codec.FLXPOINT_ENCRYPTION_KEYS);
  });
});
