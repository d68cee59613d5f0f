import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FrHandler } from '../../handlers/types';
import { connectTemporal, type TestTemporal } from '../helpers/temporal';
import { eventually, startPipeline, type Pipeline } from '../helpers/pipeline';

// The operator CLI as operators run it: a real subprocess (`tsx client/cli.ts ... --json`) with the
// worker's environment variables, against a real pipeline. What Flxpoint saw is read from the simulator.

const ROOT = join(__dirname, '../..');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: <T = Record<string, unknown>>() => T;
}

describe('operator CLI', () => {
  let t: TestTemporal;
  let p: Pipeline;
  let env: Record<string, string>;
  let release: () => void = () => {};
  let gated: number; // held in its handler until failed by the CLI
  let fr: number; // acknowledged, awaiting shipment

  const cli = (...args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      execFile(
        join(ROOT, 'node_modules/.bin/tsx'),
        [join(ROOT, 'client/cli.ts'), ...args],
        { cwd: ROOT, env, timeout: 60_000 },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
          resolve({ code, stdout, stderr, json: () => JSON.parse(stdout) });
        },
      );
    });

  beforeAll(async () => {
    t = await connectTemporal();
    const gate = new Promise<void>((r) => (release = r));
    const handler: FrHandler = {
      name: 'gate-first',
      async decide(x) {
        if (x.id === gated) await gate;
        return { kind: 'accept' };
      },
    };
    p = await startPipeline(t, { seed: { count: 2, itemsPerFr: 1, quantity: { min: 3, max: 3 } }, handler });
    [gated, fr] = p.frIds as [number, number];
    env = {
      PATH: process.env.PATH ?? '',
      TEMPORAL_ADDRESS: t.address,
      TEMPORAL_TASK_QUEUE: p.config.temporal.taskQueue,
    };
    await p.poll();
    await eventually('FR awaiting shipment', async () => (await p.status(fr)).step === 'awaiting_shipment');
    await eventually('gated FR in its handler', async () => (await p.status(gated)).step === 'handling');
  });
  afterAll(async () => {
    release();
    await p?.close();
    await t?.close();
  });

  it('rejects bad arguments with exit 2 and one clear line, before talking to Temporal', async () => {
    const bad = await cli('frs', 'show', String(p.sourceId), 'seven', '--json');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/frId.*not a positive integer/);
    const noReason = await cli('frs', 'fail', String(p.sourceId), String(gated), '--reason', '  ');
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toMatch(/--reason.*must not be empty/);
    const noItems = await cli('frs', 'ship', String(p.sourceId), String(fr), '--tracking', 'X');
    expect(noItems.code).toBe(2);
    expect(noItems.stderr).toMatch(/--item/);
    expect(p.counters().shipmentsByTrackingNumber.X).toBeUndefined();
  });

  it('lists, shows, pauses and resumes an FR', async () => {
    const listed = await eventually('FR visible in visibility', async () => {
      const r = await cli('frs', 'list', '--fr', String(fr), '--source', p.sourceKey, '--json');
      expect(r.code).toBe(0);
      const out = r.json<{ count: number; workflows: { workflowId: string; step: string }[] }>();
      return out.count === 1 && out.workflows[0]!.step === 'awaiting_shipment' ? out : undefined;
    });
    expect(listed.workflows[0]!.workflowId).toBe(p.frWorkflowId(fr));

    const show = await cli('frs', 'show', String(p.sourceId), String(fr), '--json');
    expect(show.code).toBe(0);
    expect(show.json()).toMatchObject({
      workflowId: p.frWorkflowId(fr),
      workflowStatus: 'RUNNING',
      fr: { frId: fr, step: 'awaiting_shipment', paused: false },
    });

    const pause = await cli(
      'frs',
      'pause',
      String(p.sourceId),
      String(fr),
      '--reason',
      'stock check',
      '--json',
    );
    expect(pause.code).toBe(0);
    expect(pause.json()).toMatchObject({ signal: 'pause', effect: 'applied', paused: true });
    expect((await p.status(fr)).paused).toBe(true);
    const resume = await cli('frs', 'resume', String(p.sourceId), String(fr), '--json');
    expect(resume.json()).toMatchObject({ signal: 'resume', effect: 'applied', paused: false });
  });

  it('records a shipment once, answers a repeat as duplicate, and reports a rejected one', async () => {
    const [item] = (await p.status(fr)).items;
    const ship = (tracking: string, qty: number) =>
      cli(
        'frs',
        'ship',
        String(p.sourceId),
        String(fr),
        '--tracking',
        tracking,
        '--carrier',
        'UPS',
        '--item',
        `${item!.id}:${qty}`,
        '--json',
      );
    const first = await ship('1Z-CLI-1', 1);
    expect(first.code).toBe(0);
    expect(first.json()).toMatchObject({
      status: 'accepted',
      trackingNumber: '1Z-CLI-1',
      workflowId: p.frWorkflowId(fr),
    });
    const again = await ship('1Z-CLI-1', 1);
    expect(again.json()).toMatchObject({ status: 'duplicate' });
    await eventually('shipment in Flxpoint', () => p.counters().shipmentsByTrackingNumber['1Z-CLI-1'] === 1);
    const tooMany = await ship('1Z-CLI-2', 5);
    expect(tooMany.code).toBe(1);
    expect(tooMany.stderr).toMatch(/rejected by fr:.*only 2 remain/);
    expect(p.counters().shipmentsByTrackingNumber['1Z-CLI-1']).toBe(1);
    expect(p.counters().shipmentsByTrackingNumber['1Z-CLI-2']).toBeUndefined();
  });

  it('fails an FR in Flxpoint with the operator reason', async () => {
    const failed = await cli(
      'frs',
      'fail',
      String(p.sourceId),
      String(gated),
      '--reason',
      'customer blacklisted',
      '--json',
    );
    expect(failed.code).toBe(0);
    expect(failed.json()).toMatchObject({ signal: 'fail', effect: 'applied' });
    await eventually(
      'FR processing_error in Flxpoint',
      () => p.sim.state.getFr(gated)!.fr.fulfillmentRequestStatus.handle === 'processing_error',
    );
    expect(p.sim.state.getFr(gated)!.fr.processingErrorReason).toBe('customer blacklisted');
    // Now closed: a further signal is refused before anything is sent.
    await eventually('workflow closed', async () => {
      const d = await t.client.workflow.getHandle(p.frWorkflowId(gated)).describe();
      return d.status.name === 'COMPLETED';
    });
    const late = await cli('frs', 'pause', String(p.sourceId), String(gated));
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/already closed \(COMPLETED\); nothing changed/);
  });

  it('names the way out when an FR does not exist', async () => {
    const r = await cli('frs', 'show', String(p.sourceId), '987654321');
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      `flxpoint-cli: FR workflow fr:${p.sourceId}:987654321 not found: is the FR id right? list with \`frs list --fr 987654321\``,
    );
  });

  it('creates, describes, pauses, triggers and deletes a poll schedule', async () => {
    const key = p.sourceKey;
    // The sources and their interval, never a Flxpoint token or URL: the CLI does not read them.
    const full = {
      ...env,
      FLXPOINT_SOURCES: `${key}:${p.sourceId}`,
      FLXPOINT_POLL_INTERVAL: '1 hour',
    };
    const withFull = async (...args: string[]) => {
      const saved = env;
      env = full;
      try {
        return await cli(...args);
      } finally {
        env = saved;
      }
    };
    const created = await withFull('schedules', 'create', '--json');
    expect(created.code).toBe(0);
    expect(created.json()).toEqual([expect.objectContaining({ sourceKey: key, result: 'created' })]);
    expect((await withFull('schedules', 'update', key, '--json')).json()).toEqual([
      expect.objectContaining({ result: 'updated' }),
    ]);
    const paused = await cli('schedules', 'pause', key, '--note', 'maintenance INC-1', '--json');
    expect(paused.json()).toEqual({
      scheduleId: `flxpoint-poll:${key}`,
      paused: true,
      note: 'maintenance INC-1',
    });
    const described = await cli('schedules', 'describe', key, '--json');
    expect(described.json()).toMatchObject({ paused: true, note: 'maintenance INC-1', everyMs: 3_600_000 });
    const all = await cli('schedules', 'describe', '--json');
    expect(all.json<{ sourceKey: string }[]>().map((s) => s.sourceKey)).toContain(key);
    expect((await cli('schedules', 'trigger', key, '--json')).code).toBe(0);
    await eventually('triggered poll started', async () => {
      const d = (await cli('schedules', 'describe', key, '--json')).json<{ numActionsTaken: number }>();
      return d.numActionsTaken >= 1;
    });
    expect((await cli('schedules', 'unpause', key, '--note', 'done', '--json')).json()).toMatchObject({
      paused: false,
    });
    expect((await cli('schedules', 'delete', key, '--json')).json()).toEqual({
      scheduleId: `flxpoint-poll:${key}`,
      deleted: true,
    });
    const gone = await cli('schedules', 'describe', key);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/not found/);
  });
});
