import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../worker/config';
import { DEFAULT_CODEC_PORT } from '../../codec/config';
import { DEFAULT_INTAKE_PORT } from '../../intake/config';
import { FR_GATE_DEFAULTS } from '../../intake/fr-gate';
import { ENV_VARIABLES, OTHER_VARIABLES, SOURCE_VARIABLES } from '../../common/config';

// The Kubernetes manifests and the Dockerfile checked against the code they run: probe paths and ports
// against the health server and config defaults, every env var against what the config code reads,
// every command against a source file that compiles to it. No cluster needed.

const ROOT = join(__dirname, '../..');
const K8S = join(ROOT, 'deploy/k8s');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

/* eslint-disable @typescript-eslint/no-explicit-any */
type Doc = any;

/** Every environment variable name the configuration code reads (plus per-source tokens). */
function knownEnv(): (name: string) => boolean {
  const names = new Set<string>([
    ...Object.keys(ENV_VARIABLES),
    ...Object.keys(SOURCE_VARIABLES),
    ...OTHER_VARIABLES,
  ]);
  return (name) => names.has(name) || /^FLXPOINT_TOKEN_[A-Z0-9_]+$/.test(name);
}

/** `node dist/x/y.js` → x/y.ts exists, and x/ is compiled by the build (tsconfig.build.json or the Dockerfile). */
function commandProblem(command: string[] | undefined): string | undefined {
  if (!command) return 'no command';
  const script = command.find((c) => /^dist\/.+\.js$/.test(c));
  if (command[0] !== 'node' || !script) return `not "node dist/...js": ${command.join(' ')}`;
  const source = script.replace(/^dist\//, '').replace(/\.js$/, '.ts');
  if (!existsSync(join(ROOT, source))) return `${script}: ${source} does not exist`;
  const dir = source.split('/')[0]!;
  const buildIncludes = (JSON.parse(read('tsconfig.build.json')) as { include: string[] }).include;
  if (!buildIncludes.includes(dir) && !read('Dockerfile').includes(`"include":["${dir}"]`)) {
    return `${script}: ${dir}/ is compiled neither by tsconfig.build.json nor by the Dockerfile`;
  }
  return undefined;
}

const files = readdirSync(K8S).filter((f) => f.endsWith('.yaml'));
const docs: { file: string; doc: Doc }[] = files.flatMap((file) =>
  parseAllDocuments(readFileSync(join(K8S, file), 'utf8')).map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
    return { file, doc: d.toJS() as Doc };
  }),
);
const byKind = (kind: string) => docs.filter((d) => d.doc?.kind === kind).map((d) => d.doc);
const find = (kind: string, name: string) => byKind(kind).find((d) => d.metadata.name === name);
const podSpecs = () =>
  [...byKind('Deployment'), ...byKind('Job')].map((d) => ({
    name: d.metadata.name as string,
    spec: d.spec.template.spec,
  }));
const containers = () =>
  podSpecs().flatMap((p) => p.spec.containers.map((c: Doc) => ({ pod: p.name, pod_spec: p.spec, c })));

describe('Kubernetes manifests', () => {
  it('parse, are all listed in kustomization.yaml (except the example Secret), and name no namespace', () => {
    const kustomization = docs.find((d) => d.file === 'kustomization.yaml')!.doc;
    expect(kustomization.namespace).toBeUndefined();
    const listed = new Set<string>(kustomization.resources);
    for (const f of files) {
      if (f === 'kustomization.yaml') continue;
      if (f === 'secret.example.yaml')
        expect(listed.has(f), 'example secret must not be applied').toBe(false);
      else expect(listed.has(f), `${f} in kustomization resources`).toBe(true);
    }
    for (const r of listed) expect(existsSync(join(K8S, r)), r).toBe(true);
    for (const { file, doc } of docs)
      expect(doc.metadata?.namespace, `${file} ${doc.metadata?.name}`).toBeUndefined();
  });

  it("probe the worker's health routes on the configured health port, and expose metrics for Prometheus", () => {
    const health = read('worker/health.ts');
    const defaults = loadConfig({
      FLXPOINT_BASE_URL: 'http://x.invalid',
      FLXPOINT_SOURCES: 'a:1',
      FLXPOINT_TOKEN: 't',
    });
    const cm = find('ConfigMap', 'flxpoint-config').data;
    expect(Number(cm.WORKER_HEALTH_PORT)).toBe(defaults.http.healthPort);
    expect(Number(cm.WORKER_METRICS_PORT)).toBe(defaults.http.metricsPort);
    // The servers bind to loopback unless configured: in a pod the kubelet and Prometheus need 0.0.0.0.
    expect(defaults.http.host).toBe('127.0.0.1');
    expect(cm.WORKER_HTTP_HOST).toBe('0.0.0.0');

    const worker = find('Deployment', 'flxpoint-worker');
    const c = worker.spec.template.spec.containers[0];
    const port = (p: string | number) =>
      typeof p === 'number' ? p : c.ports.find((x: Doc) => x.name === p).containerPort;
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    for (const path of ['/healthz', '/readyz']) expect(health).toContain(`'${path}'`);
    expect(port(c.livenessProbe.httpGet.port)).toBe(defaults.http.healthPort);
    expect(port(c.readinessProbe.httpGet.port)).toBe(defaults.http.healthPort);
    expect(port('metrics')).toBe(defaults.http.metricsPort);
    const annotations = worker.spec.template.metadata.annotations;
    expect(annotations['prometheus.io/scrape']).toBe('true');
    expect(Number(annotations['prometheus.io/port'])).toBe(defaults.http.metricsPort);
    expect(worker.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(60);
  });

  it('run the intake and codec server on the ports they are configured with', () => {
    const envOf = (name: string) =>
      Object.fromEntries(
        find('Deployment', name)
          .spec.template.spec.containers[0].env.filter((e: Doc) => 'value' in e)
          .map((e: Doc) => [e.name, e.value]),
      );
    const intake = find('Deployment', 'flxpoint-intake').spec.template.spec.containers[0];
    expect(Number(envOf('flxpoint-intake').INTAKE_PORT)).toBe(DEFAULT_INTAKE_PORT);
    expect(envOf('flxpoint-intake').INTAKE_HOST).toBe('0.0.0.0');
    // Each replica lets this many shipments of one FR in flight; Temporal refuses an 11th update per workflow.
    expect(
      find('Deployment', 'flxpoint-intake').spec.replicas * FR_GATE_DEFAULTS.maxInFlight,
    ).toBeLessThanOrEqual(10);
    expect(envOf('flxpoint-codec-server').CODEC_HOST).toBe('0.0.0.0');
    expect(intake.ports[0].containerPort).toBe(DEFAULT_INTAKE_PORT);
    expect(intake.readinessProbe.httpGet.path).toBe('/healthz');
    expect(read('intake/app.ts')).toContain(`'/healthz'`);
    const codec = find('Deployment', 'flxpoint-codec-server').spec.template.spec.containers[0];
    expect(Number(envOf('flxpoint-codec-server').CODEC_PORT)).toBe(codec.ports[0].containerPort);
    expect(codec.ports[0].containerPort).toBe(DEFAULT_CODEC_PORT);
    for (const svc of byKind('Service')) {
      const target = find('Deployment', svc.spec.selector['app.kubernetes.io/name']);
      expect(target, `Service ${svc.metadata.name} selects a Deployment`).toBeDefined();
    }
  });

  it('set only environment variables the configuration code reads', () => {
    const known = knownEnv();
    const set: string[] = [
      ...Object.keys(find('ConfigMap', 'flxpoint-config').data),
      ...byKind('Secret').flatMap((s) => Object.keys(s.stringData ?? {}).filter((k) => /^[A-Z]/.test(k))),
      ...containers().flatMap(({ c }) => (c.env ?? []).map((e: Doc) => e.name as string)),
    ];
    const unknown = set.filter((n) => !known(n));
    expect(unknown, `unknown env vars: ${unknown.join(', ')}`).toEqual([]);
    expect(set).toContain('FLXPOINT_TOKEN_MAIN');
  });

  it('hold only placeholders in the example Secret', () => {
    const secrets = docs.filter((d) => d.file === 'secret.example.yaml').map((d) => d.doc);
    expect(secrets.map((s) => s.metadata.name).sort()).toEqual(
      [
        'flxpoint-codec-secrets',
        'flxpoint-intake-secrets',
        'flxpoint-secrets',
        'flxpoint-temporal-tls',
      ].sort(),
    );
    for (const s of secrets) {
      expect(s.data, 'use stringData with placeholders, never base64 data').toBeUndefined();
      for (const [k, v] of Object.entries(s.stringData as Record<string, string>)) {
        expect(v, `${s.metadata.name}.${k}`).toMatch(/<[^>]+>/);
        expect(v.replace(/<[^>]*>/g, ''), `${s.metadata.name}.${k} looks real`).not.toMatch(
          /[A-Za-z0-9+/=_-]{20,}/,
        );
        expect(v).not.toMatch(/BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)/);
      }
    }
    const referenced = containers().flatMap(({ c }) => [
      ...(c.envFrom ?? []).map((e: Doc) => e.secretRef?.name).filter(Boolean),
      ...(c.env ?? []).map((e: Doc) => e.valueFrom?.secretKeyRef?.name).filter(Boolean),
    ]);
    for (const name of referenced)
      expect(
        secrets.map((s) => s.metadata.name),
        name,
      ).toContain(name);
  });

  it('run non-root, read-only, with resources, and commands that the build produces', () => {
    const list = containers();
    expect(list.map((x) => x.pod).sort()).toEqual(
      ['flxpoint-codec-server', 'flxpoint-intake', 'flxpoint-setup-schedules', 'flxpoint-worker'].sort(),
    );
    for (const { pod, pod_spec, c } of list) {
      expect(commandProblem(c.command), pod).toBeUndefined();
      expect(pod_spec.securityContext.runAsNonRoot, pod).toBe(true);
      expect(c.securityContext.readOnlyRootFilesystem, pod).toBe(true);
      expect(c.securityContext.allowPrivilegeEscalation, pod).toBe(false);
      const tmp = c.volumeMounts.find((m: Doc) => m.mountPath === '/tmp');
      expect(
        pod_spec.volumes.find((v: Doc) => v.name === tmp?.name)?.emptyDir,
        `${pod} /tmp emptyDir`,
      ).toBeDefined();
      for (const k of ['cpu', 'memory']) {
        expect(c.resources.requests[k], `${pod} requests.${k}`).toBeDefined();
        expect(c.resources.limits[k], `${pod} limits.${k}`).toBeDefined();
      }
    }
    expect(
      commandProblem(find('Job', 'flxpoint-setup-schedules').spec.template.spec.containers[0].command),
    ).toBeUndefined();
    expect(find('Job', 'flxpoint-setup-schedules').spec.template.spec.containers[0].command).toEqual([
      'node',
      'dist/client/setup-schedules.js',
    ]);
  });

  it('give the schedule Job no Flxpoint token: it reads the schedules slice only', () => {
    const job = find('Job', 'flxpoint-setup-schedules').spec.template.spec.containers[0];
    expect((job.envFrom ?? []).map((e: Doc) => e.secretRef?.name).filter(Boolean)).toEqual([]);
    expect(
      (job.env ?? []).map((e: Doc) => e.name).filter((n: string) => n.startsWith('FLXPOINT_TOKEN')),
    ).toEqual([]);
  });

  it('budget disruptions and scale the worker on CPU', () => {
    const labels = find('Deployment', 'flxpoint-worker').spec.template.metadata.labels;
    const pdb = find('PodDisruptionBudget', 'flxpoint-worker');
    for (const [k, v] of Object.entries(pdb.spec.selector.matchLabels)) expect(labels[k]).toBe(v);
    const hpa = find('HorizontalPodAutoscaler', 'flxpoint-worker');
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'flxpoint-worker' });
    expect(hpa.spec.metrics[0].resource.name).toBe('cpu');
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(pdb.spec.minAvailable + 1);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('builds in a node:20-bookworm-slim stage and runs production dependencies as user node', () => {
    const stages = [...dockerfile.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)].map((m) => m[2]);
    expect(stages).toEqual(['build', 'deps', 'runtime']);
    expect(dockerfile).toMatch(/ARG NODE_IMAGE=node:20-bookworm-slim/);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/npm run build/);
    const runtime = dockerfile.slice(dockerfile.search(/AS runtime/));
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).not.toMatch(/COPY \. /);
    expect(runtime).toMatch(/COPY --from=build \/app\/dist/);
  });

  it('has a CMD (and checked entry points) that the build produces', () => {
    const cmd = JSON.parse(/^CMD\s+(\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    expect(commandProblem(cmd)).toBeUndefined();
    for (const m of dockerfile.matchAll(/-f (dist\/[\w/.-]+\.js)/g)) {
      if (m[1]!.startsWith('dist/workflow-bundle')) continue;
      expect(commandProblem(['node', m[1]!])).toBeUndefined();
    }
    expect(read('.dockerignore')).toMatch(/^node_modules$/m);
    expect(read('.dockerignore')).toMatch(/^\.data$/m);
  });
});
