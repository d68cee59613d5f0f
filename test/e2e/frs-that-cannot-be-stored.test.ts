import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frWorkflowId } from '../../common/ids';
import { dataConverterFor } from '../../common/temporal-client';
import { startSimulator, type RunningSimulator } from '../../simulator/server';
import { createStore } from '../../store';
import { databaseOf } from '../../store/sql-store';
import type { FrStore } from '../../store/types';
import { statusQuery, type FrStatus } from '../../workflows/definitions';
import { eventually } from '../helpers/pipeline';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres';
import { connectTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';

// Issue 10 rows 2 and 11, and task tokens in debug logs, end to end: the production worker process
// (worker/main.ts) on a real PostgreSQL store, polling the simulator through its schedule, with encryption
// off and on. One FR carries a NUL character in its ship-to name (PostgreSQL refused it on every attempt:
// the FR sat in `committing` for ever); the store refuses another FR's data outright (a CHECK constraint
// added for the test, PostgreSQL's 23514, whose detail quotes the whole row). The first must be
// acknowledged, the second must end processing-failed after one attempt, and the worker's debug log must
// hold neither customer's name, address, e-mail or phone, nor an activity task token.

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

const stopped = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

interface PersonalData {
  name: string;
  addressLine1: string;
  email: string;
  phone: string;
}

describe('FRs the store cannot take end clearly; no personal data or task token in the logs', () => {
  let t: TestTemporal;
  let sim: RunningSimulator;
  let pg: TestPostgres;
  let store: FrStore;

  beforeAll(async () => {
    t = await connectTemporal();
    pg = await startTestPostgres();
    // Migrated here first, so the test can add its constraint before the worker commits anything.
    store = await createStore({ kind: 'postgres', url: pg.url });
    await databaseOf(store)!.exec(
      `ALTER TABLE committed_frs ADD CONSTRAINT test_refuses_fr CHECK (fr_number NOT LIKE 'REFUSE-%')`,
    );
  }, 600_000);
  afterAll(async () => {
    await store?.close();
    await pg?.stop();
    await t?.close();
  });

  for (const encryption of [false, true]) {
    it(`encryption ${encryption ? 'on' : 'off'}: NUL stored, refused FR processing-failed once, logs clean`, async () => {
      const sourceId = randomInt(100_000, 999_999);
      const key = `nul${randomInt(1e5, 1e6)}`;
      const token = `token-${key}`;
      sim = await startSimulator({ port: 0, tokens: { [token]: sourceId }, rateLimit: { enabled: false } });
      const keys = encryption ? `k1:${randomBytes(32).toString('base64')}` : undefined;
      const [nulFr, refusedFr] = sim.state.seed({ count: 2, sourceId });
      const personal: PersonalData[] = [];
      for (const id of [nulFr!, refusedFr!]) {
        const fr = sim.state.store.peek(id)! as unknown as {
          fulfillmentRequestNumber: string;
          shippingAddress: PersonalData;
          billingAddress: PersonalData;
        };
        personal.push(fr.shippingAddress, fr.billingAddress);
        if (id === nulFr) fr.shippingAddress.name = `${fr.shippingAddress.name}\u0000`;
        else fr.fulfillmentRequestNumber = `REFUSE-${id}`;
      }
      const w = runWorker({
        TEMPORAL_ADDRESS: t.address,
        TEMPORAL_TASK_QUEUE: uniqueTaskQueue('nul'),
        FLXPOINT_BASE_URL: sim.url,
        FLXPOINT_SOURCES: `${key}:${sourceId}`,
        [`FLXPOINT_TOKEN_${key.toUpperCase()}`]: token,
        FLXPOINT_POLL_INTERVAL: '2s',
        FLXPOINT_REQUESTS_PER_SECOND: '50',
        ENSURE_SCHEDULES_ON_START: 'true',
        STORE_URL: pg.url,
        LOG_LEVEL: 'debug',
        LOG_FORMAT: 'json',
        WORKER_HEALTH_PORT: '0',
        WORKER_METRICS_PORT: '0',
        WORKER_SHUTDOWN_GRACE: '2s',
        ...(keys ? { FLXPOINT_ENCRYPTION_KEYS: keys } : {}),
      });
      const client = new Client({
        connection: t.connection,
        dataConverter: dataConverterFor({ encryption: { keys } }),
      });
      const status = (id: number) =>
        client.workflow.getHandle(frWorkflowId(sourceId, id)).query(statusQuery) as Promise<FrStatus>;
      try {
        await eventually(
          'the FR with a NUL character acknowledged',
          () => sim.state.snapshotCounters().ackSuccessByFr[nulFr!] === 1,
          180_000,
        );
        const stored = await store.get(sourceId, nulFr!);
        expect(stored?.decision).toEqual({ kind: 'accept' });
        const [row] = await databaseOf(store)!.query<{ name: string }>(
          `SELECT fr -> 'shippingAddress' ->> 'name' AS name FROM committed_frs WHERE source_id = $1 AND fr_id = $2`,
          [sourceId, nulFr],
        );
        expect(row!.name.endsWith('\uFFFD')).toBe(true);

        const refused = await eventually(
          'the refused FR processing-failed',
          async () => {
            const s = await status(refusedFr!).catch(() => undefined);
            return s?.outcome ? s : undefined;
          },
          120_000,
        );
        expect(refused.outcome).toBe('processing_failed');
        expect(refused.lastError).toMatch(
          new RegExp(`commit of FR ${sourceId}/${refusedFr} failed: .*SQLSTATE 23514`),
        );
        expect(sim.state.snapshotCounters().processingFailedByFr[refusedFr!]).toBe(1);
        expect(sim.state.snapshotCounters().ackSuccessByFr[refusedFr!]).toBeUndefined();
        expect(await store.get(sourceId, refusedFr!)).toBeUndefined();
      } finally {
        await stopped(w.child);
        await sim.close();
        await t.client.schedule
          .getHandle(`flxpoint-poll:${key}`)
          .delete()
          .catch(() => {});
      }
      const log = w.out();
      // The run logged at debug level, including the SDK's activity tasks.
      expect(log).toMatch(/"level":20/);
      expect(log).toMatch(/committed|commit/i);
      for (const p of personal) {
        for (const value of [p.name, p.addressLine1, p.email, p.phone]) {
          expect(log, `personal data in the worker's log: ${value}`).not.toContain(value);
        }
      }
      expect(log).not.toMatch(/"taskToken":"(?!\[redacted\])/);
      expect(log).not.toMatch(/"taskEncoded":"(?!\[redacted\])/);
      expect(log).not.toContain(token);
    }, 420_000);
  }
});
