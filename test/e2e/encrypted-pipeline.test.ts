import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HandlerRejectedError } from '../../handlers/types';
import { generateKeySpec } from '../../codec/keyring';
import { connectTemporal, type TestTemporal } from '../helpers/temporal';
import { eventually, outcomeOf, startPipeline, type Pipeline } from '../helpers/pipeline';

// FRs carry names, addresses and phones. With FLXPOINT_ENCRYPTION_KEYS set, the whole pipeline (worker,
// poller, FR workflows, failures) stores only ciphertext in Temporal, and the operator CLI with the key
// still reads it; without the key it says so clearly.

const ROOT = join(__dirname, '../..');

function cli(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      join(ROOT, 'node_modules/.bin/tsx'),
      [join(ROOT, 'client/cli.ts'), ...args],
      { cwd: ROOT, env, timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('encrypted pipeline', () => {
  let t: TestTemporal;
  let p: Pipeline;
  const keys = generateKeySpec('k1');
  beforeAll(async () => {
    t = await connectTemporal();
    p = await startPipeline(t, {
      seed: { count: 2, itemsPerFr: 1 },
      env: { FLXPOINT_ENCRYPTION_KEYS: keys },
      handler: {
        name: 'reject-second',
        async decide(fr) {
          if (fr.id === p.frIds[1]) {
            const name = (fr.shippingAddress as { name?: string } | undefined)?.name;
            throw new HandlerRejectedError(`cannot deliver to ${name}`);
          }
          return { kind: 'accept' };
        },
      },
    });
  });
  afterAll(async () => {
    await p?.close();
    await t?.close();
  });

  it('keeps PII out of what the Temporal server stores, and the CLI with the key reads it back', async () => {
    const [accepted, failed] = p.frIds as [number, number];
    await p.poll();
    await eventually('accepted FR acknowledged', () => p.counters().ackSuccessByFr[accepted] === 1);
    expect((await outcomeOf(p, p.frWorkflowId(failed))).outcome).toBe('processing_failed');

    for (const id of [accepted, failed]) {
      const fr = p.sim.state.getFr(id)!.fr;
      const pii = [
        fr.shippingAddress?.name,
        fr.shippingAddress?.phone,
        fr.shippingAddress?.addressLine1,
      ].filter((v): v is string => typeof v === 'string' && v.length > 3);
      expect(pii.length).toBeGreaterThan(0);
      // Raw history, read without the codec: the bytes the server stores.
      const history = await t.client.workflow.getHandle(p.frWorkflowId(id)).fetchHistory();
      const raw = Buffer.from(temporal.api.history.v1.History.encode(history).finish()).toString('latin1');
      for (const s of pii) expect(raw, `history of FR ${id} leaks "${s}"`).not.toContain(s);
      expect(raw).toContain('binary/encrypted');
    }
    // The handler's failure message named the customer: it is encrypted too, yet Flxpoint got the reason.
    expect(p.sim.state.getFr(failed)!.fr.processingErrorReason).toContain('cannot deliver to');

    const env = {
      PATH: process.env.PATH ?? '',
      TEMPORAL_ADDRESS: t.address,
      TEMPORAL_TASK_QUEUE: p.config.temporal.taskQueue,
    };
    const withKey = await cli(
      { ...env, FLXPOINT_ENCRYPTION_KEYS: keys },
      'frs',
      'show',
      String(p.sourceId),
      String(accepted),
      '--json',
    );
    expect(withKey.code).toBe(0);
    expect(JSON.parse(withKey.stdout)).toMatchObject({
      fr: { frId: accepted, step: 'awaiting_shipment' },
    });
    const withoutKey = await cli(env, 'frs', 'show', String(p.sourceId), String(accepted), '--json');
    expect(withoutKey.code).not.toBe(0);
    expect(withoutKey.stderr).toMatch(/encrypt|FLXPOINT_ENCRYPTION_KEYS/i);
  });
});
