import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frWorkflowId } from '../../common/ids';
import { startSimulator, type RunningSimulator } from '../../simulator/server';
import { failSignal, statusQuery, type FrStatus } from '../../workflows/definitions';
import { eventually } from '../helpers/pipeline';
import { connectTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';

// Issue 10 row 14, end to end: the production worker (worker/main.ts) with FR_HANDLER=http:<endpoint>.
// FR_HANDLER_HEADERS reaches the endpoint, FR_HANDLER_TIMEOUT bounds its requests (it used to be a fixed
// 10 s), and an operator's fail aborts a request the endpoint is still sitting on (the handler activity
// heartbeats, so the cancellation reaches its AbortSignal).

const ROOT = join(__dirname, '../..');
const AUTH = 'Bearer wms-secret-0123456789';

interface Seen {
  frId: number;
  headers: IncomingMessage['headers'];
  /** When the worker closed the connection before an answer (aborted), ms after the request arrived. */
  abortedAfterMs?: number;
}

describe('http handler: configured headers and timeout, aborted by an operator', () => {
  let t: TestTemporal;
  let sim: RunningSimulator;
  let wms: Server;
  let wmsUrl: string;
  const seen: Seen[] = [];
  let hangFor = new Set<number>();

  beforeAll(async () => {
    t = await connectTemporal();
    wms = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const frId = (JSON.parse(body) as { fulfillmentRequest: { id: number } }).fulfillmentRequest.id;
        const s: Seen = { frId, headers: req.headers };
        seen.push(s);
        const started = Date.now();
        if (hangFor.has(frId)) {
          res.on('close', () => {
            if (!res.writableEnded) s.abortedAfterMs = Date.now() - started;
          });
          return; // never answers
        }
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ kind: 'accept' }));
      });
    });
    await new Promise<void>((r) => wms.listen(0, '127.0.0.1', r));
    wmsUrl = `http://127.0.0.1:${(wms.address() as { port: number }).port}/fr`;
  });
  afterAll(async () => {
    wms?.closeAllConnections();
    await new Promise((r) => wms?.close(r));
    await t?.close();
  });

  it('sends FR_HANDLER_HEADERS, times out at FR_HANDLER_TIMEOUT less 5 s, and a fail aborts the request', async () => {
    const sourceId = randomInt(100_000, 999_999);
    const key = `http${randomInt(1e5, 1e6)}`;
    const token = `token-${key}`;
    sim = await startSimulator({ port: 0, tokens: { [token]: sourceId }, rateLimit: { enabled: false } });
    const [accepted, hanging] = sim.state.seed({ count: 2, sourceId });
    hangFor = new Set([hanging!]);
    let out = '';
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'worker/main.ts')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        TEMPORAL_ADDRESS: t.address,
        TEMPORAL_TASK_QUEUE: uniqueTaskQueue('http'),
        FLXPOINT_BASE_URL: sim.url,
        FLXPOINT_SOURCES: `${key}:${sourceId}`,
        [`FLXPOINT_TOKEN_${key.toUpperCase()}`]: token,
        FLXPOINT_POLL_INTERVAL: '2s',
        FLXPOINT_REQUESTS_PER_SECOND: '50',
        ENSURE_SCHEDULES_ON_START: 'true',
        STORE_URL: 'embedded',
        FR_HANDLER: `http:${wmsUrl}`,
        FR_HANDLER_HEADERS: JSON.stringify({ Authorization: AUTH, 'X-Warehouse': 'east' }),
        FR_HANDLER_TIMEOUT: '60s',
        LOG_FORMAT: 'json',
        WORKER_HEALTH_PORT: '0',
        WORKER_METRICS_PORT: '0',
        WORKER_SHUTDOWN_GRACE: '2s',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const handle = t.client.workflow.getHandle(frWorkflowId(sourceId, hanging!));
    try {
      await eventually(
        'the accepted FR acknowledged',
        () => sim.state.snapshotCounters().ackSuccessByFr[accepted!] === 1,
        180_000,
      );
      const first = seen.find((s) => s.frId === accepted)!;
      expect(first.headers.authorization).toBe(AUTH);
      expect(first.headers['x-warehouse']).toBe('east');
      expect(first.headers['idempotency-key']).toBe(frWorkflowId(sourceId, accepted!));

      // The hanging FR: its first attempt is cut at 60 s less 5 s = 55 s by the handler itself (not 10 s).
      const timedOut = await eventually(
        'a handler attempt timed out',
        () => seen.find((s) => s.frId === hanging && s.abortedAfterMs !== undefined),
        120_000,
      );
      expect(timedOut.abortedAfterMs).toBeGreaterThan(10_500);
      const pending = await eventually('the timeout reported as the attempt failure', async () => {
        const d = await handle.describe();
        const a = d.raw.pendingActivities?.find((p) => p.activityType?.name === 'decideFulfillmentRequest');
        return a?.lastFailure?.message?.includes('did not answer within 55000 ms') ? a : undefined;
      });
      expect(pending.lastFailure?.message).not.toContain(AUTH);

      // An operator fails the FR while an attempt is waiting on the endpoint: the request is aborted.
      const waiting = await eventually('a fresh attempt waiting on the endpoint', () => {
        const last = seen.filter((s) => s.frId === hanging).at(-1);
        return last && last.abortedAfterMs === undefined ? last : undefined;
      });
      await handle.signal(failSignal, { reason: 'WMS does not answer' });
      await eventually('the waiting request aborted', () => waiting.abortedAfterMs !== undefined, 30_000);
      // Well before the attempt's own timeout: the cancellation arrived with a heartbeat.
      expect(waiting.abortedAfterMs).toBeLessThan(45_000);
      const status = await eventually('the FR processing-failed', async () => {
        const s = (await handle.query(statusQuery)) as FrStatus;
        return s.outcome ? s : undefined;
      });
      expect(status.outcome).toBe('processing_failed');
      expect(sim.state.snapshotCounters().processingFailedByFr[hanging!]).toBe(1);
      expect(out).not.toContain(AUTH.split(' ')[1]);
    } finally {
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
      await sim.close();
      await t.client.schedule
        .getHandle(`flxpoint-poll:${key}`)
        .delete()
        .catch(() => {});
    }
  }, 400_000);
});
