import { Writable } from 'node:stream';
import {
  type Client,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import type { FastifyInstance, InjectOptions } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ShipmentRecord } from '../../common/domain';
import { buildIntakeServer } from '../../intake/server';
import type { AddShipmentResult, FrStatus } from '../../workflows/definitions';

// The intake's HTTP answers through fastify's inject(), with a fake Temporal client: every refusal,
// its order (credentials before the body is read), and how Temporal's answers map to status codes.
// The same app against a real dev server and FR workflows: test/e2e/intake-shipments.test.ts.

const TOKEN = 'unit-intake-token-0123456789';
const OTHER = 'second-caller-token-0123456789';

interface Fake {
  update: (record: ShipmentRecord) => Promise<AddShipmentResult>;
  status: () => Promise<FrStatus>;
}
let fake: Fake;
const calls: Array<{ workflowId: string; record: ShipmentRecord; updateId?: string }> = [];
const client = {
  workflow: {
    getHandle: (workflowId: string) => ({
      executeUpdate: (
        _def: unknown,
        { args: [record], updateId }: { args: [ShipmentRecord]; updateId?: string },
      ) => {
        calls.push({ workflowId, record, updateId });
        return fake.update(record);
      },
      query: () => fake.status(),
    }),
  },
  connection: { withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn() },
} as unknown as Client;

const grpcError = (code: number, message: string) => Object.assign(new Error(message), { code });
/** An FR waiting for shipments: one item of 2 units, nothing shipped yet. */
const awaiting = (over: Partial<FrStatus> = {}): FrStatus => ({
  frId: 7,
  frNumber: null,
  sourceId: 1001,
  step: 'awaiting_shipment',
  paused: false,
  decision: { kind: 'accept' },
  outcome: null,
  overdue: false,
  shipments: [],
  items: [{ id: 11, sku: 'S', quantity: 2, acknowledged: 2, shipped: 0, cancelled: 0, voided: 0 }],
  lastError: null,
  refusals: [],
  ...over,
});
const shipped = (
  trackingNumber: string,
  status: FrStatus['shipments'][number]['status'],
  error?: string,
) => ({
  trackingNumber,
  status,
  ...(error ? { error } : {}),
  record: { trackingNumber, items: [{ id: 11, quantity: 1 }] },
});
const shipment = (over: Record<string, unknown> = {}) => ({
  sourceId: 1001,
  fulfillmentRequestId: 7,
  trackingNumber: '1Z-UNIT',
  items: [{ id: 11, quantity: 1 }],
  ...over,
});

describe('intake app (inject)', () => {
  let app: FastifyInstance;
  let restricted: FastifyInstance;
  let scoped: FastifyInstance;
  let gated: FastifyInstance;
  let logs = '';
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs += chunk.toString();
        done();
      },
    });
    app = await buildIntakeServer({ client, authTokens: [OTHER, TOKEN], logger: pino({}, sink) });
    restricted = await buildIntakeServer({ client, authTokens: [TOKEN], sourceIds: [1002] });
    scoped = await buildIntakeServer({
      client,
      authTokens: [TOKEN, { token: OTHER, sourceIds: [1002, 1003] }],
    });
    gated = await buildIntakeServer({
      client,
      authTokens: [TOKEN],
      frGate: { maxInFlight: 2, maxQueued: 1, maxWaitMs: 60_000 },
    });
  });
  afterAll(async () => {
    await app?.close();
    await restricted?.close();
    await scoped?.close();
    await gated?.close();
  });
  beforeEach(() => {
    calls.length = 0;
    fake = {
      update: async (r) => ({ status: 'accepted', trackingNumber: r.trackingNumber }),
      status: async () => awaiting(),
    };
  });

  const post = (body: unknown, headers: Record<string, string> = {}, target = app) =>
    target.inject({
      method: 'POST',
      url: '/shipments',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    } satisfies InjectOptions);

  it('answers /healthz to GET and HEAD, 405 to anything else', async () => {
    const get = await app.inject({ method: 'GET', url: '/healthz' });
    expect(get.statusCode).toBe(200);
    expect(get.json()).toEqual({ status: 'ok' });
    expect((await app.inject({ method: 'HEAD', url: '/healthz' })).statusCode).toBe(200);
    const post = await app.inject({ method: 'POST', url: '/healthz' });
    expect(post.statusCode).toBe(405);
    expect(post.headers.allow).toBe('GET');
  });

  it('answers 404 for other paths and 405 (Allow: POST) for other methods, before asking for a token', async () => {
    // A body that is not JSON and too large: neither is looked at.
    const junk = { headers: { 'content-type': 'text/plain' }, payload: 'x'.repeat(2_000_000) };
    const unknown = await app.inject({ method: 'POST', url: '/shipment', ...junk });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: 'not found: POST /shipments, POST /inventory or GET /healthz' });
    for (const method of ['GET', 'PUT', 'DELETE'] as const) {
      const r = await app.inject({ method, url: '/shipments', ...(method === 'PUT' ? junk : {}) });
      expect(r.statusCode).toBe(405);
      expect(r.headers.allow).toBe('POST');
      expect(r.json()).toEqual({ error: 'use POST' });
    }
  });

  it('answers 401 without or with a wrong token, before reading the body', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token-wrong-token', TOKEN, 'Basic abc']) {
      const r = await app.inject({
        method: 'POST',
        url: '/shipments',
        // A body that is too large and not JSON: credentials are checked first anyway.
        headers: { 'content-type': 'text/plain', ...(authorization ? { authorization } : {}) },
        payload: 'x'.repeat(100_000),
      });
      expect(r.statusCode).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Bearer');
      expect(r.json().error).toMatch(/Authorization: Bearer|invalid token/);
    }
    expect((await post(shipment(), { authorization: `bearer  ${OTHER} ` })).statusCode).toBe(202);
    expect(calls).toHaveLength(1);
  });

  it('answers 415 for a body that is not declared JSON; a charset is fine', async () => {
    for (const headers of [{ 'content-type': 'text/plain' }, { 'content-type': 'application/xml' }]) {
      const r = await post(shipment(), headers);
      expect(r.statusCode).toBe(415);
      expect(r.json().error).toBe('send the shipment as JSON with Content-Type: application/json');
    }
    const none = await app.inject({
      method: 'POST',
      url: '/shipments',
      headers: { authorization: `Bearer ${TOKEN}` },
      payload: Buffer.from(JSON.stringify(shipment())),
    });
    expect(none.statusCode).toBe(415);
    expect((await post(shipment(), { 'content-type': 'application/json; charset=utf-8' })).statusCode).toBe(
      202,
    );
    expect(calls).toHaveLength(1);
  });

  it('answers 413 over 64 KiB and 400 for a body that is not JSON or is empty', async () => {
    const huge = await post(JSON.stringify({ pad: 'x'.repeat(70_000) }));
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error).toBe('body larger than 65536 bytes');
    for (const body of ['{not json', '']) {
      const r = await post(body);
      expect(r.statusCode).toBe(400);
      expect(r.json().error).toBe('body is not JSON');
    }
    expect(calls).toHaveLength(0);
  });

  it('answers 400 listing every bad field, with their paths', async () => {
    const r = await post(
      shipment({ sourceId: 'x', trackingNumber: '  ', items: [{ id: 1, quantity: -1 }], extra: 1 }),
    );
    expect(r.statusCode).toBe(400);
    const body = r.json<{ error: string; issues: Array<{ path: string; message: string }> }>();
    expect(body.error).toMatch(/^invalid shipment: /);
    expect(body.issues.map((i) => i.path).sort()).toEqual(
      ['', 'items.0.quantity', 'sourceId', 'trackingNumber'].sort(),
    );
    expect(body.error).toMatch(/items\.0\.quantity: items\[0\]\.quantity must be a positive integer/);
    const notObject = await post('[1]');
    expect(notObject.statusCode).toBe(400);
    expect(notObject.json().error).toBe('invalid shipment: (body): the body must be a JSON object');
    expect(calls).toHaveLength(0);
  });

  it('refuses what the FR workflow would refuse, by the same shared check (javascript: URL, oversized carrier)', async () => {
    const script = await post(shipment({ trackingUrl: 'javascript:alert(1)' }));
    expect(script.statusCode).toBe(400);
    expect(script.json().error).toMatch(/trackingUrl: trackingUrl must be an http\(s\) URL/);
    const long = await post(shipment({ carrier: 'C'.repeat(201) }));
    expect(long.statusCode).toBe(400);
    expect(long.json().error).toMatch(/carrier: carrier: at most 200 characters/);
    expect(calls).toHaveLength(0);
  });

  it('delivers a valid shipment to the FR workflow and answers 202 with its verdict', async () => {
    const r = await post(
      shipment({ trackingNumber: ' 1Z-TRIM ', carrier: 'UPS', shippedAt: '2026-05-01T10:00:00Z' }),
    );
    expect(r.statusCode).toBe(202);
    expect(r.json()).toEqual({ status: 'accepted', workflowId: 'fr:1001:7', trackingNumber: '1Z-TRIM' });
    expect(calls).toEqual([
      {
        workflowId: 'fr:1001:7',
        record: {
          trackingNumber: '1Z-TRIM',
          carrier: 'UPS',
          shippedAt: '2026-05-01T10:00:00Z',
          items: [{ id: 11, quantity: 1 }],
        },
        // One update id per tracking number: Temporal folds concurrent repeats into one update.
        updateId: 'addShipment:1Z-TRIM',
      },
    ]);
    fake.update = async (rec) => ({ status: 'duplicate', trackingNumber: rec.trackingNumber });
    expect((await post(shipment())).json()).toMatchObject({ status: 'duplicate' });
  });

  it('answers 403 for a source outside INTAKE_SOURCE_IDS, without calling Temporal', async () => {
    const r = await post(shipment(), {}, restricted);
    expect(r.statusCode).toBe(403);
    expect(r.json().error).toBe('source 1001 is not served by this intake');
    expect((await post(shipment({ sourceId: 1002 }), {}, restricted)).statusCode).toBe(202);
    expect(calls.map((c) => c.workflowId)).toEqual(['fr:1002:7']);
  });

  it("maps Temporal's answers: refusal 400, unknown 404, unavailable/timeout/exhausted 503 with Retry-After", async () => {
    fake.update = () =>
      Promise.reject(new WorkflowUpdateFailedError('update failed', new Error('item 11: only 2 remain')));
    const refused = await post(shipment());
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toEqual({ error: 'item 11: only 2 remain', workflowId: 'fr:1001:7' });

    fake.status = () => Promise.reject(new WorkflowNotFoundError('gone', 'fr:1001:7', undefined));
    const unknown = await post(shipment());
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toMatch(/^no workflow for FR 7 of source 1001 \(fr:1001:7\)/);

    fake.status = async () => awaiting();
    fake.update = () => Promise.reject(grpcError(14, '14 UNAVAILABLE: connect ECONNREFUSED'));
    const unavailable = await post(shipment());
    expect(unavailable.statusCode).toBe(503);
    expect(unavailable.headers['retry-after']).toBe('5');
    expect(unavailable.json().error).toMatch(/retry/);
    for (const err of [
      grpcError(4, 'DEADLINE_EXCEEDED'),
      new WorkflowUpdateRPCTimeoutOrCancelledError('timed out'),
      grpcError(8, 'limit on number of concurrent in-flight updates has been reached (10)'),
    ]) {
      fake.update = () => Promise.reject(err);
      const busy = await post(shipment());
      expect(busy.statusCode).toBe(503);
      expect(busy.headers['retry-after']).toBe('1');
      expect(busy.json().error).toMatch(
        /^fr:1001:7 (did not answer in time|has too many shipments in flight); retry/,
      );
    }
  });

  it('answers from the FR status without an update: duplicate, refused (422 with the reason), finished 409, not fetched 503', async () => {
    fake.status = async () =>
      awaiting({
        shipments: [shipped('1Z-UNIT', 'created'), shipped('1Z-BAD', 'rejected', 'FR cancelled in Flxpoint')],
      });
    const again = await post(shipment());
    expect(again.statusCode).toBe(202);
    expect(again.json()).toEqual({ status: 'duplicate', workflowId: 'fr:1001:7', trackingNumber: '1Z-UNIT' });
    const refused = await post(shipment({ trackingNumber: '1Z-BAD' }));
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({
      status: 'rejected',
      reason: 'FR cancelled in Flxpoint',
      trackingNumber: '1Z-BAD',
    });
    expect(refused.json().error).toMatch(/^shipment 1Z-BAD was refused: FR cancelled in Flxpoint/);

    // A finished FR still knows its shipments: a repeat is a duplicate, a new one is refused for good.
    fake.status = async () =>
      awaiting({
        outcome: 'acknowledged_and_shipped',
        step: 'done',
        shipments: [shipped('1Z-UNIT', 'created')],
      });
    expect((await post(shipment())).json()).toMatchObject({ status: 'duplicate' });
    const late = await post(shipment({ trackingNumber: '1Z-LATE' }));
    expect(late.statusCode).toBe(409);
    expect(late.json().error).toBe(
      'FR workflow fr:1001:7 is finished (acknowledged_and_shipped); no more shipments',
    );

    fake.status = () =>
      Promise.reject(
        Object.assign(new Error('Failed to query Workflow'), {
          cause: grpcError(9, 'Unable to query workflow due to Workflow Task in failed state.'),
        }),
      );
    const stuck = await post(shipment());
    expect(stuck.statusCode).toBe(503);
    expect(stuck.headers['retry-after']).toBe('5');
    expect(stuck.json().error).toMatch(
      /^fr:1001:7 cannot answer yet \(.*Workflow Task in failed state\.\); retry/,
    );

    fake.status = async () => awaiting({ step: 'fetching', decision: null, items: [] });
    const early = await post(shipment());
    expect(early.statusCode).toBe(503);
    expect(early.headers['retry-after']).toBe('5');
    expect(early.json().error).toBe('FR 7 has not been fetched yet; retry in a moment');
    expect(calls).toHaveLength(0);
  });

  it('refuses before anything is taken when it cannot read encrypted workflow payloads (no key ring)', async () => {
    fake.status = () => Promise.reject(new Error('Unknown encoding: binary/encrypted'));
    const r = await post(shipment());
    expect(r.statusCode).toBe(503);
    expect(r.headers['retry-after']).toBe('60');
    expect(r.json().error).toMatch(/FLXPOINT_ENCRYPTION_KEYS\); nothing was taken/);
    expect(calls).toHaveLength(0);
  });

  it('answers 403 when a token limited to its sources posts for another source', async () => {
    const other = { authorization: `Bearer ${OTHER}` };
    const r = await post(shipment(), other, scoped);
    expect(r.statusCode).toBe(403);
    expect(r.json().error).toBe(
      'this token may post shipments for source(s) 1002, 1003 only, not source 1001; use the token issued for that source',
    );
    expect(calls).toHaveLength(0);
    expect((await post(shipment({ sourceId: 1003 }), other, scoped)).statusCode).toBe(202);
    // A token without a source list posts for any source.
    expect((await post(shipment(), {}, scoped)).statusCode).toBe(202);
    expect(calls.map((c) => c.workflowId)).toEqual(['fr:1003:7', 'fr:1001:7']);
  });

  it('bounds deliveries per FR: a full queue is 503 with Retry-After at once, the rest are delivered', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    fake.update = async (r) => {
      if (r.trackingNumber.startsWith('1Z-GATE')) await held;
      return { status: 'accepted', trackingNumber: r.trackingNumber };
    };
    const posts = [1, 2, 3, 4, 5].map((n) => post(shipment({ trackingNumber: `1Z-GATE-${n}` }), {}, gated));
    // Two in flight, one queued: the other two are turned away without waiting for the held updates.
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    const other = await post(shipment({ fulfillmentRequestId: 8, trackingNumber: '1Z-OTHER-FR' }), {}, gated);
    expect(other.statusCode).toBe(202); // the gate is per FR: a different FR is not held up
    release();
    const answers = await Promise.all(posts);
    const codes = answers.map((a) => a.statusCode);
    expect(codes.filter((c) => c === 202)).toHaveLength(3);
    const busy = answers.filter((a) => a.statusCode === 503);
    expect(busy).toHaveLength(2);
    for (const b of busy) {
      expect(b.headers['retry-after']).toBe('1');
      expect(b.json().error).toMatch(/^FR 7 has too many shipments in flight at this intake; retry/);
    }
  });

  it('answers 500 without details for its own failures, and logs them', async () => {
    fake.update = () => Promise.reject(new Error('secret internal detail'));
    const r = await post(shipment());
    expect(r.statusCode).toBe(500);
    expect(r.json()).toEqual({ error: 'internal error' });
    expect(logs).toContain('secret internal detail');
  });

  it('logs one line per request with its status and workflow, and never a token', async () => {
    logs = '';
    await post(shipment());
    await post(shipment(), { authorization: 'Bearer a-wrong-token-to-be-kept-out-of-logs' });
    const lines = logs
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({
        msg: 'request',
        method: 'POST',
        path: '/shipments',
        status: 202,
        workflowId: 'fr:1001:7',
      }),
      expect.objectContaining({ msg: 'request', status: 401, error: 'invalid token' }),
    ]);
    expect(logs).not.toContain(TOKEN);
    expect(logs).not.toContain('a-wrong-token');
  });
});
