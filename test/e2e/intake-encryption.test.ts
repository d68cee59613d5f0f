import { inject, afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeySpec } from '../../codec/keyring';
import { ConfigError } from '../../common/config';
import { runIntake } from '../../intake/main';
import { startIntakeServer, type RunningIntakeServer } from '../../intake/server';
import { connectTemporal, type TestTemporal } from '../helpers/temporal';
import { eventually, startPipeline, type Pipeline } from '../helpers/pipeline';

// Workers that encrypt payloads and an intake that cannot (no FLXPOINT_ENCRYPTION_KEYS). Before, the
// intake delivered the shipment in plaintext, the workflow took it, and the caller got 500 "Unknown
// encoding". Now the process refuses to start (exit 2's ConfigError), and an intake app that is running
// anyway refuses every shipment before it is taken. With the key ring, the same shipment is taken.

const TOKEN = 'intake-encryption-token-0123456789';

describe('intake and encrypting workers', () => {
  let t: TestTemporal;
  let p: Pipeline;
  let plain: RunningIntakeServer;
  const keys = generateKeySpec('k1');

  beforeAll(async () => {
    t = await connectTemporal();
    p = await startPipeline(t, {
      seed: { count: 1, itemsPerFr: 1, quantity: { min: 1, max: 1 } },
      env: { FLXPOINT_ENCRYPTION_KEYS: keys },
    });
    await p.poll();
    await eventually(
      'FR awaiting shipment',
      async () => (await p.status(p.frIds[0]!)).step === 'awaiting_shipment',
    );
    // t.client has no key ring: it reads encrypted payloads as "Unknown encoding".
    plain = await startIntakeServer({ client: t.client, port: 0, authTokens: [TOKEN] });
  });
  afterAll(async () => {
    await plain?.close();
    await p?.close();
    await t?.close();
  });

  const env = (extra: Record<string, string> = {}) => ({
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: p.config.temporal.taskQueue,
    INTAKE_PORT: '0',
    INTAKE_AUTH_TOKENS: TOKEN,
    LOG_LEVEL: 'error',
    ...extra,
  });

  const shipment = async () => ({
    sourceId: p.sourceId,
    fulfillmentRequestId: p.frIds[0]!,
    trackingNumber: '1Z-ENC',
    items: [{ id: (await p.status(p.frIds[0]!)).items[0]!.id, quantity: 1 }],
  });
  const post = async (url: string) => {
    const r = await fetch(`${url}/shipments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(await shipment()),
    });
    return {
      status: r.status,
      retryAfter: r.headers.get('retry-after'),
      body: (await r.json()) as Record<string, unknown>,
    };
  };

  it('refuses to start without the key ring, naming the setting', async () => {
    const err = await runIntake(env()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([
      expect.stringMatching(/^FLXPOINT_ENCRYPTION_KEYS: is not set, but the workers encrypt payloads/),
    ]);
  });

  it('refuses the shipment before it is taken when it cannot read the workflow, never half-accepts it', async () => {
    const r = await post(plain.url);
    expect(r.status).toBe(503);
    expect(r.retryAfter).toBe('60');
    expect(r.body.error).toMatch(
      /encrypted and the intake has no FLXPOINT_ENCRYPTION_KEYS\); nothing was taken/,
    );
    expect((await p.status(p.frIds[0]!)).shipments).toEqual([]);
    expect(p.counters().shipmentsByTrackingNumber['1Z-ENC']).toBeUndefined();
  });

  it('with the same key ring it starts and the shipment is taken', async () => {
    const intake = await runIntake(env({ FLXPOINT_ENCRYPTION_KEYS: keys }));
    try {
      const r = await post(intake.url);
      expect(r).toMatchObject({ status: 202, body: { status: 'accepted', trackingNumber: '1Z-ENC' } });
      await eventually('shipment in Flxpoint', () => p.counters().shipmentsByTrackingNumber['1Z-ENC'] === 1);
    } finally {
      await intake.close();
    }
  });
});
