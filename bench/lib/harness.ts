import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { request } from 'undici';
import { ensurePollSchedule, pollSettings } from '../../common/poll-schedule';
import { SimulatorAdminClient } from '../../simulator/admin-client';
import { frWorkflowId } from '../../common/ids';
import { loadConfig, type AppConfig } from '../../worker/config';
import { addShipmentUpdate, statusQuery } from '../../workflows/definitions';
import { freePort } from '../../test/helpers/ports';

// What every pipeline benchmark needs, each piece a separate OS process so no two event loops share a
// thread: the simulator (`simulator/main.ts`), a Temporal dev server of the benchmark's own (temp SQLite
// file, free port), and the production worker entry (`worker/main.ts`). Loopback only. Everything started
// here is registered for cleanup, also on Ctrl-C.

export const ROOT = join(__dirname, '../..');

// ---- flags --------------------------------------------------------------------------------------------

/** `--name value` pairs; unknown names are an error so a typo never silently runs the default. */
export function flags<T extends Record<string, string>>(defaults: T, usage: string): T {
  const out: Record<string, string> = { ...defaults };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    }
    const name = a.replace(/^--/, '');
    if (!a.startsWith('--') || !(name in defaults) || argv[i + 1] === undefined) {
      process.stderr.write(`unknown or incomplete flag ${a}\n${usage}\n`);
      process.exit(2);
    }
    out[name] = argv[++i]!;
  }
  return out as T;
}

export const list = (s: string) => s.split(',').map((x) => Number(x.trim()));

// ---- cleanup ------------------------------------------------------------------------------------------

const cleanups: (() => Promise<void> | void)[] = [];
export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}
export async function cleanup(): Promise<void> {
  while (cleanups.length) {
    try {
      await cleanups.pop()!();
    } catch (err) {
      process.stderr.write(`cleanup: ${String(err)}\n`);
    }
  }
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    void cleanup().finally(() => process.exit(130));
  });
}

/** Runs a benchmark's main, always cleans up, exits 1 on failure. */
export function main(fn: () => Promise<void>): void {
  fn().then(
    () => cleanup().then(() => process.exit(0)),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      void cleanup().finally(() => process.exit(1));
    },
  );
}

// ---- processes ----------------------------------------------------------------------------------------

export { freePort };

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `flxpoint-bench-${prefix}-`));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Proc {
  child: ChildProcess;
  pid: number;
  stderr(): string;
  stop(): Promise<void>;
}

function spawnProc(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
  onLine?: (l: string) => void,
): Proc {
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  let buf = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-8000)));
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine?.(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const proc: Proc = {
    child,
    pid: child.pid!,
    stderr: () => err,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
  onCleanup(() => proc.stop());
  return proc;
}

const tsx = (entry: string) => ['--import', 'tsx', join(ROOT, entry)];

export interface SimProcess extends Proc {
  url: string;
  adminUrl: string;
  admin: SimulatorAdminClient;
}

/** `simulator/main.ts` in its own process; `args` are its CLI flags (see `npm run simulator -- --help`). */
export async function startSimulatorProcess(args: string[]): Promise<SimProcess> {
  let resolveUp: (m: RegExpExecArray) => void;
  const up = new Promise<RegExpExecArray>((r) => (resolveUp = r));
  const proc = spawnProc(
    process.execPath,
    [...tsx('simulator/main.ts'), '--port', '0', ...args],
    {},
    (line) => {
      const m = /Flxpoint API (\S+) admin (\S+)/.exec(line);
      if (m) resolveUp(m);
    },
  );
  const m = await Promise.race([
    up,
    new Promise<never>((_, rej) =>
      proc.child.once('exit', () => rej(new Error(`simulator exited:\n${proc.stderr()}`))),
    ),
  ]);
  return { ...proc, url: m[1]!, adminUrl: m[2]!, admin: new SimulatorAdminClient(m[2]!) };
}

export interface DevServer extends Proc {
  address: string;
  client: Client;
}

/** A dev server of the benchmark's own, as scripts/temporal.sh starts it (SQLite file, search attributes). */
export async function startDevServer(): Promise<DevServer> {
  const script = join(ROOT, 'scripts/temporal.sh');
  const cli = execFileSync('bash', [script, 'path'], { encoding: 'utf8' }).trim();
  const attrs = execFileSync('bash', [script, 'search-attributes'], { encoding: 'utf8' }).trim().split('\n');
  const dir = tempDir('temporal');
  const port = await freePort();
  const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port)];
  args.push('--http-port', String(await freePort()), '--metrics-port', String(await freePort()));
  // BENCH_TEMPORAL_DB=memory: in-memory SQLite, to tell the dev server's file persistence apart from the rest.
  if (process.env.BENCH_TEMPORAL_DB !== 'memory') args.push('--db-filename', join(dir, 't.sqlite'));
  args.push('--log-level', 'error');
  // Task queues of one partition by default, as scripts/temporal.sh and deploy/temporal/dynamicconfig.yaml
  // set them (a queue's rate limit and task priority apply per partition); BENCH_TEMPORAL_PARTITIONS=4 for
  // the dev server's own default, to compare.
  const partitions = process.env.BENCH_TEMPORAL_PARTITIONS ?? '1';
  if (partitions) {
    for (const k of ['matching.numTaskqueueReadPartitions', 'matching.numTaskqueueWritePartitions'])
      args.push('--dynamic-config-value', `${k}=${Number(partitions)}`);
  }
  for (const a of attrs) args.push('--search-attribute', a);
  const proc = spawnProc(cli, args);
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      await connection.healthService.check({});
      onCleanup(() => connection.close());
      return { ...proc, address, client: new Client({ connection, namespace: 'default' }) };
    } catch {
      if (proc.child.exitCode !== null || Date.now() > deadline)
        throw new Error(`dev server did not start:\n${proc.stderr()}`);
      await sleep(300);
    }
  }
}

let bundlePath: string | undefined;
/** Bundles the workflows from source once per benchmark process (the worker then loads the file). */
export async function workflowBundle(): Promise<string> {
  if (bundlePath) return bundlePath;
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: new DefaultLogger('WARN'),
  });
  const file = join(tempDir('bundle'), 'workflow-bundle.js');
  writeFileSync(file, code);
  bundlePath = file;
  return file;
}

export interface WorkerProc extends Proc {
  config: AppConfig;
  env: Record<string, string>;
}

export interface SourceSpec {
  key: string;
  sourceId: number;
  token: string;
}

/**
 * The worker before and after list-fed FRs (issue 9 item 2), for side-by-side rows in one run: `old` reads
 * every FR again with a GET and looks once per scheduled poll; `new` is the default.
 */
export const WORKER_MODES: Record<string, Record<string, string>> = {
  old: { FLXPOINT_LIST_FED: 'false', FLXPOINT_REPOLL_AFTER: 'off' },
  new: {},
};

export function workerModes(spec: string): [string, Record<string, string>][] {
  return spec.split(',').map((m) => {
    const env = WORKER_MODES[m.trim()];
    if (!env) throw new Error(`unknown mode "${m}": use ${Object.keys(WORKER_MODES).join(', ')}`);
    return [m.trim(), env];
  });
}

/** The production entry `worker/main.ts` with the given sources; resolves when /readyz answers 200. */
export async function startWorker(o: {
  temporalAddress: string;
  simUrl: string;
  sources: SourceSpec[];
  requestsPerSecond: number;
  pollInterval: string;
  taskQueue: string;
  env?: Record<string, string>;
}): Promise<WorkerProc> {
  const healthPort = await freePort();
  const env: Record<string, string> = {
    TEMPORAL_ADDRESS: o.temporalAddress,
    TEMPORAL_TASK_QUEUE: o.taskQueue,
    FLXPOINT_BASE_URL: o.simUrl,
    FLXPOINT_SOURCES: o.sources.map((s) => `${s.key}:${s.sourceId}`).join(','),
    FLXPOINT_REQUESTS_PER_SECOND: String(o.requestsPerSecond),
    FLXPOINT_POLL_INTERVAL: o.pollInterval,
    STORE_URL: 'embedded',
    WORKER_HEALTH_PORT: String(healthPort),
    WORKER_HTTP_HOST: '127.0.0.1',
    WORKER_METRICS_PORT: '0',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    WORKFLOW_BUNDLE_PATH: await workflowBundle(),
    ...o.env,
  };
  for (const s of o.sources) env[`FLXPOINT_TOKEN_${s.key.toUpperCase().replace(/-/g, '_')}`] = s.token;
  const config = loadConfig(env);
  // BENCH_WORKER_LOG=<file>: keep the workers' log lines (LOG_LEVEL from the environment) to see why a
  // figure is what it is.
  const logFile = process.env.BENCH_WORKER_LOG;
  const proc = spawnProc(
    process.execPath,
    tsx('worker/main.ts'),
    env,
    logFile ? (l) => appendFileSync(logFile, `${l}\n`) : undefined,
  );
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`worker exited:\n${proc.stderr()}`);
    try {
      const res = await request(`http://127.0.0.1:${healthPort}/readyz`);
      await res.body.text();
      if (res.statusCode === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`worker not ready:\n${proc.stderr()}`);
    await sleep(250);
  }
  return { ...proc, config, env };
}

/** Creates every source's poll schedule (the same function the worker and the setup Job use). */
export async function startSchedules(client: Client, config: AppConfig): Promise<void> {
  for (const s of config.sources) await ensurePollSchedule(client, s, pollSettings(config));
}

export async function deleteSchedules(client: Client, config: AppConfig): Promise<void> {
  for (const s of config.sources) {
    await client.schedule
      .getHandle(`flxpoint-poll:${s.key}`)
      .delete()
      .catch(() => undefined);
  }
}

// ---- measuring ----------------------------------------------------------------------------------------

const CLK_TCK = 100;

/** CPU seconds (user + system) and resident set of a process, from /proc. */
export function procStats(pid: number): { cpuSeconds: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuSeconds, rssMb: rss ? Number(rss[1]) / 1024 : NaN };
}

/** Samples CPU and RSS of some processes while `fn` runs. CPU is % of one core over the window. */
export async function sampled<T>(
  pids: Record<string, number>,
  fn: () => Promise<T>,
): Promise<{ result: T; seconds: number; cpu: Record<string, number>; rssMaxMb: Record<string, number> }> {
  const start = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, procStats(p).cpuSeconds]));
  const rssMax: Record<string, number> = {};
  const sample = () => {
    for (const [k, p] of Object.entries(pids)) {
      try {
        rssMax[k] = Math.max(rssMax[k] ?? 0, procStats(p).rssMb);
      } catch {
        // process gone
      }
    }
  };
  sample();
  const timer = setInterval(sample, 500);
  const t0 = performance.now();
  try {
    const result = await fn();
    const seconds = (performance.now() - t0) / 1000;
    sample();
    const cpu = Object.fromEntries(
      Object.entries(pids).map(([k, p]) => [k, (100 * (procStats(p).cpuSeconds - start[k]!)) / seconds]),
    );
    return { result, seconds, cpu, rssMaxMb: rssMax };
  } finally {
    clearInterval(timer);
  }
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 500) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` over `items` with at most `n` at a time. */
export async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

// ---- output -------------------------------------------------------------------------------------------

/** A Markdown table (pastes straight into docs/benchmarks.md). */
export function table(title: string, rows: Record<string, string | number>[]): void {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const fmt = (v: string | number | undefined) =>
    v === undefined
      ? ''
      : typeof v === 'number'
        ? v.toLocaleString('en-US', { maximumFractionDigits: 2 })
        : v;
  const lines = [
    `| ${cols.join(' | ')} |`,
    `| ${cols.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${cols.map((c) => fmt(r[c])).join(' | ')} |`),
  ];
  process.stdout.write(`\n### ${title}\n\n${lines.join('\n')}\n\n`);
}

export function machine(): string {
  const c = cpus();
  return `${c.length} × ${c[0]?.model.trim() ?? 'cpu'}, Node ${process.version}, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
}

/** Ships every unshipped unit of an FR through the addShipment update, as a warehouse would. */
export async function shipAll(client: Client, sourceId: number, frId: number): Promise<void> {
  const handle = client.workflow.getHandle(frWorkflowId(sourceId, frId));
  for (let attempt = 0; ; attempt++) {
    try {
      const st = await handle.query(statusQuery);
      const items = st.items
        .map((i) => ({ id: i.id, quantity: i.quantity - i.cancelled - i.shipped }))
        .filter((i) => i.quantity > 0);
      if (items.length === 0) return;
      await handle.executeUpdate(addShipmentUpdate, {
        args: [{ trackingNumber: `TN-${sourceId}-${frId}`, carrier: 'UPS', items }],
      });
      return;
    } catch (err) {
      if (attempt >= 20) throw err;
      await sleep(500);
    }
  }
}

/** A throwaway PostgreSQL cluster (scripts/postgres.sh) for STORE_URL; stopped at cleanup. */
export async function startPostgres(): Promise<string> {
  const dir = tempDir('pg');
  const script = join(ROOT, 'scripts/postgres.sh');
  const url = execFileSync('bash', [script, 'start', '--port', String(await freePort()), '--dir', dir], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  })
    .trim()
    .split('\n')
    .pop()!;
  onCleanup(() => {
    execFileSync('bash', [script, 'stop', '--dir', dir], { stdio: 'ignore' });
  });
  return url;
}
