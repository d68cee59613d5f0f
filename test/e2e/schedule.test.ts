import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { ensurePollSchedule, pollSettings } from '../../common/poll-schedule';
import { pollScheduleId } from '../../common/ids';
import { connectTemporal, type TestTemporal } from '../helpers/temporal';
import { eventually, startPipeline, type Pipeline } from '../helpers/pipeline';
import type { PollFulfillmentRequestsInput } from '../../workflows/definitions';

// The schedule is what runs the poller in production: it must really fire, skip overlaps, and setup
// must be safe to re-run.

describe('poll schedule', () => {
  let t: TestTemporal;
  let p: Pipeline;
  beforeAll(async () => {
    t = await connectTemporal();
    p = await startPipeline(t, { seed: { count: 5, itemsPerFr: 1 }, env: { FLXPOINT_POLL_INTERVAL: '2s' } });
  });
  afterAll(async () => {
    await t.client.schedule
      .getHandle(pollScheduleId(p.sourceKey))
      .delete()
      .catch(() => {});
    await p?.close();
    await t?.close();
  });

  it('fires on its interval and the poller it starts acknowledges the FRs; new FRs are picked up by later ticks', async () => {
    const source = p.config.sources[0]!;
    expect(await ensurePollSchedule(t.client, source, pollSettings(p.config))).toBe('created');
    await eventually('seeded FRs acknowledged by scheduled polls', () =>
      p.frIds.every((id) => p.counters().ackSuccessByFr[id] === 1),
    );
    const later = p.seed({ count: 3, itemsPerFr: 1 });
    await eventually('FRs created later acknowledged', () =>
      later.every((id) => p.counters().ackSuccessByFr[id] === 1),
    );
    const d = await t.client.schedule.getHandle(pollScheduleId(p.sourceKey)).describe();
    expect(d.info.recentActions.length).toBeGreaterThanOrEqual(2);
    expect(d.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    for (const id of [...p.frIds, ...later]) expect(p.counters().ackAttemptsByFr[id]).toBe(1);
  });

  it('is updated, not duplicated or reset, when setup runs again', async () => {
    const handle = t.client.schedule.getHandle(pollScheduleId(p.sourceKey));
    await handle.pause('maintenance window');
    const source = { ...p.config.sources[0]!, pollInterval: 5_000 };
    expect(await ensurePollSchedule(t.client, source, pollSettings(p.config))).toBe('updated');
    const d = await handle.describe();
    expect(d.state.paused).toBe(true);
    expect(d.state.note).toBe('maintenance window');
    expect(d.spec.intervals?.[0]?.every).toBe(5_000);
    const all: string[] = [];
    for await (const s of t.client.schedule.list()) all.push(s.scheduleId);
    expect(all.filter((id) => id === pollScheduleId(p.sourceKey))).toHaveLength(1);
  });
});

// The Kubernetes Job as it runs: `setup-schedules` in its own process with the schedules slice only.
// No Flxpoint token or URL anywhere in its environment.
describe('setup-schedules Job', () => {
  const ROOT = join(__dirname, '../..');
  let t: TestTemporal;
  const keys = [`job${randomInt(1e6, 1e7)}`, `job${randomInt(1e6, 1e7)}`];
  const run = (env: Record<string, string>) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        join(ROOT, 'node_modules/.bin/tsx'),
        [join(ROOT, 'client/setup-schedules.ts')],
        {
          cwd: ROOT,
          env: { PATH: process.env.PATH ?? '', TEMPORAL_ADDRESS: t.address, ...env },
          timeout: 60_000,
        },
        (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });

  beforeAll(async () => {
    t = await connectTemporal();
  });
  afterAll(async () => {
    for (const key of keys) {
      await t.client.schedule
        .getHandle(pollScheduleId(key))
        .delete()
        .catch(() => {});
    }
    await t?.close();
  });

  it('creates every schedule without any Flxpoint token or URL, then updates them on a re-run', async () => {
    const [a, b] = keys as [string, string];
    // One source from the environment, one from FLXPOINT_CONFIG_FILE, as a ConfigMap would hold it.
    const file = join(mkdtempSync(join(tmpdir(), 'setup-schedules-')), 'config.json');
    writeFileSync(file, JSON.stringify({ sources: [{ key: b, sourceId: 2002, pollInterval: '2h' }] }));
    const env = {
      FLXPOINT_CONFIG_FILE: file,
      FLXPOINT_SOURCES: `${a}:2001`,
      FLXPOINT_POLL_INTERVAL: '1 hour',
      TEMPORAL_TASK_QUEUE: 'setup-job-queue',
      LOG_LEVEL: 'info',
    };
    const first = await run(env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const logged = first.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; sourceKey?: string; result?: string });
    // One line per source; their order (how the environment and the file merge) is not part of the contract.
    const ready = logged.filter((l) => l.msg === 'poll schedule ready').map((l) => [l.sourceKey, l.result]);
    expect(ready.sort()).toEqual(
      [
        [a, 'created'],
        [b, 'created'],
      ].sort(),
    );
    for (const [key, sourceId, every] of [
      [a, 2001, 3_600_000],
      [b, 2002, 7_200_000],
    ] as const) {
      const d = await t.client.schedule.getHandle(pollScheduleId(key)).describe();
      expect(d.spec.intervals?.[0]?.every).toBe(every);
      expect(d.action.taskQueue).toBe('setup-job-queue');
      const input = (d.action as { args?: unknown[] }).args?.[0] as PollFulfillmentRequestsInput;
      expect(input).toMatchObject({ sourceKey: key, sourceId });
    }
    const again = await run(env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('"result":"updated"');
  });

  it('exits 2 listing every problem before it talks to Temporal', async () => {
    const bad = await run({
      FLXPOINT_SOURCES: 'Bad:x',
      FLXPOINT_ENCRYPTION_KEYS: 'k1:short',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('FLXPOINT_SOURCES (source "Bad" key)');
    expect(bad.stderr).toContain('FLXPOINT_SOURCES (source "Bad" sourceId)');
    expect(bad.stderr).toContain('FLXPOINT_ENCRYPTION_KEYS: key "k1"');
    expect(bad.stderr).not.toMatch(/token/i);
  });
});
