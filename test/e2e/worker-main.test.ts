import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../simulator/server';
import { connectTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';
import { eventually } from '../helpers/pipeline';
import { freePort } from '../helpers/ports';

// The production entry point (worker/main.ts) as Kubernetes runs it: a real process configured by the
// environment only. Probes, metrics, JSON logs, schedules on start, graceful SIGTERM, and a bad config.

const ROOT = join(__dirname, '../..');

function runWorker(env: Record<string, string>): { child: ChildProcess; out: () => string } {
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'worker/main.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, out: () => out };
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (c) => resolve(c)),
  );

describe('worker process (worker/main.ts)', () => {
  let t: TestTemporal;
  let sim: RunningSimulator;
  beforeAll(async () => {
    t = await connectTemporal();
    sim = await startSimulator({
      port: 0,
      tokens: { 'token-main-proc': 424242 },
      rateLimit: { enabled: false },
    });
  });
  afterAll(async () => {
    await sim?.close();
    await t?.close();
  });

  it('becomes ready only once polling, serves metrics, logs JSON with frId, processes FRs, stops cleanly on SIGTERM', async () => {
    const [healthPort, metricsPort] = [await freePort(), await freePort()];
    const taskQueue = uniqueTaskQueue('proc');
    const frIds = sim.state.seed({ count: 3, sourceId: 424242 });
    const secret = 'token-main-proc';
    const w = runWorker({
      TEMPORAL_ADDRESS: t.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      FLXPOINT_BASE_URL: sim.url,
      FLXPOINT_SOURCES: 'procmain:424242',
      FLXPOINT_TOKEN_PROCMAIN: secret,
      FLXPOINT_POLL_INTERVAL: '2s',
      STORE_URL: 'embedded',
      WORKER_HEALTH_PORT: String(healthPort),
      WORKER_METRICS_PORT: String(metricsPort),
      WORKER_HTTP_HOST: '127.0.0.1',
      ENSURE_SCHEDULES_ON_START: 'true',
      WORKER_SHUTDOWN_GRACE: '5s',
    });
    try {
      const ready = await eventually(
        'readiness 200',
        async () => {
          const r = await fetch(`http://127.0.0.1:${healthPort}/readyz`);
          return r.status === 200 ? ((await r.json()) as { workers: Record<string, string> }) : undefined;
        },
        90_000,
      );
      expect(Object.keys(ready.workers).sort()).toEqual([taskQueue, `${taskQueue}/api/procmain`]);
      expect((await fetch(`http://127.0.0.1:${healthPort}/healthz`)).status).toBe(200);
      await eventually('FRs acknowledged via the schedule', () =>
        frIds.every((id) => sim.state.snapshotCounters().ackSuccessByFr[id] === 1),
      );
      const metrics = await eventually('project metrics exported', async () => {
        const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        return /flxpoint_fr_acknowledged\{[^}]*source="procmain"/.test(text) ? text : undefined;
      });
      expect(metrics).toMatch(/flxpoint_requests\{[^}]*endpoint="acknowledge"/);
      expect(metrics).toMatch(/temporal_/); // the SDK's own metrics on the same endpoint
      const lines = w
        .out()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.length).toBeGreaterThan(3);
      const frLines = lines.filter((l) => typeof l.workflowId === 'string' && l.workflowId.startsWith('fr:'));
      expect(frLines.length).toBeGreaterThan(0);
      for (const l of frLines) {
        expect(String(l.sourceId)).toBe('424242');
        expect(l.frId).toBeDefined();
      }
      expect(frLines.some((l) => l.msg === 'acknowledged in Flxpoint')).toBe(true);
      expect(w.out()).not.toContain(secret);

      w.child.kill('SIGTERM');
      expect(await exited(w.child)).toBe(0);
      expect(w.out()).toContain('worker stopped');
    } finally {
      if (w.child.exitCode === null) w.child.kill('SIGKILL');
      await t.client.schedule
        .getHandle('flxpoint-poll:procmain')
        .delete()
        .catch(() => {});
    }
  }, 180_000);

  it('exits 2 listing every configuration problem, without echoing secrets', async () => {
    const w = runWorker({
      FLXPOINT_BASE_URL: 'nope',
      FLXPOINT_SOURCES: 'main:abc',
      FLXPOINT_TOKEN_MAIN: 'very-secret-token',
      FLXPOINT_POLL_INTERVAL: 'often',
    });
    expect(await exited(w.child)).toBe(2);
    expect(w.out()).toMatch(/FLXPOINT_BASE_URL: must be an absolute URL/);
    expect(w.out()).toMatch(/sourceId/);
    expect(w.out()).toMatch(/"often" is not a duration/);
    expect(w.out()).not.toContain('very-secret-token');
  }, 60_000);
});
