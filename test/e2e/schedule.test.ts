import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { ensurePollSchedule, pollSettings } from '../../client/schedules';
import { pollScheduleId } from '../../common/ids';
import { connectTemporal, type TestTemporal } from '../helpers/temporal';
import { eventually, startPipeline, type Pipeline } from '../helpers/pipeline';

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
