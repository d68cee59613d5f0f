import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HandlerRejectedError } from '../../handlers/types';
import { generateKeySpec, parseKeyRing } from '../../codec/keyring';
import { startCodecServer } from '../../codec/server';
import { connectTemporal, type TestTemporal } from '../helpers/temporal';
import { eventually, outcomeOf, startPipeline, type Pipeline } from '../helpers/pipeline';

// FRs carry names, addresses and phones. With FLXPOINT_ENCRYPTION_KEYS set, the whole pipeline (worker,
// poller, FR workflows, failures) stores only ciphertext in Temporal, and the operator CLI with the key
// still reads it; without the key it says so clearly.

const ROOT = join(__dirname, '../..');

/** The stock `temporal` CLI this project runs (scripts/temporal.sh path), not our own CLI. */
function temporalCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', [join(ROOT, 'scripts/temporal.sh'), 'path'], { cwd: ROOT }, (err, path) => {
      if (err) return resolve({ code: 1, stdout: '', stderr: String(err) });
      execFile(path.trim(), args, { cwd: ROOT, timeout: 60_000 }, (e, stdout, stderr) =>
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr }),
      );
    });
  });
}

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

  // Issue 10 row 12: the stock CLI sends `{}` to the codec for a signal or query without input; the codec
  // server answered 400 and `resume`/`status` broke with encryption on.
  it('the stock temporal CLI pauses, resumes and queries an encrypted FR through the codec server', async () => {
    const [accepted] = p.frIds as [number];
    const token = 'codec-cli-token';
    const rejections: unknown[] = [];
    const codec = await startCodecServer({
      keyRing: parseKeyRing(keys),
      allowedOrigins: [],
      authToken: token,
      port: 0,
      host: '127.0.0.1',
      onRejected: (r) => rejections.push(r),
    });
    try {
      const id = p.frWorkflowId(accepted);
      const common = ['--address', t.address, '--namespace', 'default', '--workflow-id', id];
      const viaCodec = [...common, '--codec-endpoint', codec.url, '--codec-auth', `Bearer ${token}`];
      const pause = await temporalCli(
        'workflow',
        'signal',
        ...viaCodec,
        '--name',
        'pause',
        '--input',
        '{"reason":"stock check"}',
      );
      expect(pause.stderr).toBe('');
      expect(pause.code).toBe(0);
      const paused = await eventually('the FR paused', async () => {
        const q = await temporalCli('workflow', 'query', ...viaCodec, '--type', 'status', '--output', 'json');
        if (q.code !== 0) throw new Error(q.stderr);
        const status = (JSON.parse(q.stdout) as { queryResult: [{ paused?: boolean }] }).queryResult[0];
        return status.paused ? status : undefined;
      });
      expect(paused).toMatchObject({ frId: accepted, paused: true });
      // A signal without input: the CLI asks the codec to encode `{}`.
      const resume = await temporalCli('workflow', 'signal', ...viaCodec, '--name', 'resume');
      expect(resume.code).toBe(0);
      await eventually('the FR resumed', async () => {
        const q = await temporalCli('workflow', 'query', ...viaCodec, '--type', 'status', '--output', 'json');
        return (
          q.code === 0 &&
          (JSON.parse(q.stdout) as { queryResult: [{ paused?: boolean }] }).queryResult[0].paused === false
        );
      });
      expect(rejections).toEqual([]);
      // Without the codec the same query answers ciphertext the CLI cannot show as the status.
      const raw = await temporalCli('workflow', 'query', ...common, '--type', 'status', '--output', 'json');
      expect(raw.stdout).not.toContain('"paused"');
    } finally {
      await codec.close();
    }
  }, 120_000);
});
