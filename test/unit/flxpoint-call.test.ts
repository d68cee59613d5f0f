import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import type { FlxpointClient } from '../../activities/flxpoint/client';
import {
  FR_CALL_BACKOFF,
  FlxpointError,
  INVENTORY_CALL_BACKOFF,
  INVENTORY_URGENT_CALL_BACKOFF,
  LIST_CALL_BACKOFF,
  type RetryBackoff,
} from '../../activities/flxpoint/errors';
import { createFlxpointActivities } from '../../activities/flxpoint-activities';
import { createFlxpointCall, type FlxpointActivityMetrics } from '../../activities/flxpoint-call';
import {
  createInventorySyncActivities,
  type CreateResult,
  type InventorySyncDeps,
  type PushResult,
} from '../../activities/inventory/sync-activities';
import type { InventoryStore, StagedBatchRow } from '../../store/inventory-store';

// One wrapper around every Flxpoint request (activities/flxpoint-call.ts): paced, measured, and a transient
// failure retried after a jittered delay within the activity's own retry policy, for the FR activities and
// the inventory sync's alike.

const unavailable = (method: string, path: string) =>
  new FlxpointError({ kind: 'server_error', status: 503, method, path });
const refused = (method: string, path: string) =>
  new FlxpointError({ kind: 'bad_request', status: 400, method, path, bodySnippet: 'no' });

/** The delay retryDelayMs may pick for `attempt` under `backoff`: half the policy's delay to all of it. */
function bounds(attempt: number, backoff: RetryBackoff): [number, number] {
  const full = Math.min(backoff.initialMs * 2 ** (attempt - 1), backoff.maxMs);
  return [full / 2, full];
}

async function failureOf(run: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

/** An activity context at this attempt; the SDK's "Activity failed" warnings are expected here. */
const activityAt = (attempt: number) =>
  new MockActivityEnvironment({ attempt }, { logger: new DefaultLogger('ERROR', () => {}) });

function recorder() {
  const requests: Parameters<FlxpointActivityMetrics['request']>[0][] = [];
  return { requests, metrics: { request: (o: (typeof requests)[number]) => requests.push(o) } };
}

describe('createFlxpointCall', () => {
  it('paces, measures and converts a failure with a jittered delay; callRaw keeps the raw error', async () => {
    const order: string[] = [];
    const { requests, metrics } = recorder();
    const flx = createFlxpointCall({ pacer: { take: async () => void order.push('take') }, metrics });
    expect(
      await flx.call(
        'get',
        async () => {
          order.push('send');
          return 7;
        },
        FR_CALL_BACKOFF,
      ),
    ).toBe(7);
    expect(order).toEqual(['take', 'send']);

    const failed = await failureOf(
      flx.call('get', () => Promise.reject(unavailable('GET', '/x')), FR_CALL_BACKOFF),
    );
    expect(failed.type).toBe('Flxpoint.server_error');
    expect(failed.nonRetryable).toBe(false);
    // Outside an activity the attempt is 1.
    const [lo, hi] = bounds(1, FR_CALL_BACKOFF);
    expect(failed.nextRetryDelay).toBeGreaterThanOrEqual(lo);
    expect(failed.nextRetryDelay).toBeLessThanOrEqual(hi);

    // No backoff: the delay is left to the activity's policy.
    const plain = await failureOf(flx.call('get', () => Promise.reject(unavailable('GET', '/x')), undefined));
    expect(plain.nextRetryDelay).toBeUndefined();

    const raw = refused('PUT', '/inventory/variants');
    await expect(flx.callRaw('inventory-update', () => Promise.reject(raw))).rejects.toBe(raw);
    await expect(flx.callRaw('inventory-update', () => Promise.reject(new Error('boom')))).rejects.toThrow(
      'boom',
    );

    expect(requests.map(({ endpoint, ok, kind }) => ({ endpoint, ok, kind }))).toEqual([
      { endpoint: 'get', ok: true, kind: undefined },
      { endpoint: 'get', ok: false, kind: 'server_error' },
      { endpoint: 'get', ok: false, kind: 'server_error' },
      { endpoint: 'inventory-update', ok: false, kind: 'bad_request' },
      { endpoint: 'inventory-update', ok: false, kind: 'unexpected' },
    ]);
    for (const r of requests) expect(r.seconds).toBeGreaterThanOrEqual(0);
  });

  it('reads the inventory backoff from INVENTORY_RETRY (2 s doubling to 1 minute)', () => {
    expect(INVENTORY_CALL_BACKOFF).toEqual({ initialMs: 2000, maxMs: 60_000 });
  });
});

describe('inventory activities retry a transient Flxpoint failure with jitter within INVENTORY_RETRY', () => {
  const row: StagedBatchRow = {
    sku: 'A-1',
    row: { sku: 'A-1', quantity: 3 },
    variantId: 11,
    disappeared: false,
    status: 'pending',
    pushed: null,
  };
  const settled: unknown[] = [];
  const store = {
    batchRows: async () => [row],
    lookupPage: async () => ['A-1'],
    unknownToCreate: async () => [{ sku: 'A-1', row: row.row }],
    recordCreated: async () => {},
    settleBatch: async (...args: unknown[]) => void settled.push(args),
  } as unknown as InventoryStore;

  function activities(err: unknown, metrics = recorder().metrics) {
    const fail = () => Promise.reject(err);
    const client = {
      listInventoryVariants: fail,
      updateInventoryVariants: fail,
      upsertInventoryParents: fail,
    } as unknown as FlxpointClient;
    return createInventorySyncActivities({
      sourceId: 5,
      sourceKey: 'main',
      client,
      store,
      createUnknown: true,
      metrics,
    } as unknown as InventorySyncDeps);
  }

  it.each([1, 3, 5, 9])('attempt %i', async (attempt) => {
    const env = activityAt(attempt);
    const [lo, hi] = bounds(attempt, INVENTORY_CALL_BACKOFF);
    const { requests, metrics } = recorder();
    const acts = activities(unavailable('PUT', '/inventory/variants'), metrics);
    const runs = {
      pushInventoryBatch: () => env.run(acts.pushInventoryBatch, { runKey: 'r', batch: 0 }),
      discoverInventoryVariants: () => env.run(acts.discoverInventoryVariants, { runKey: 'r', page: 0 }),
      createUnknownInventoryVariants: () => env.run(acts.createUnknownInventoryVariants, { runKey: 'r' }),
    };
    for (const [name, run] of Object.entries(runs)) {
      const f = await failureOf(run());
      expect(f.type, name).toBe('Flxpoint.server_error');
      expect(f.nonRetryable, name).toBe(false);
      expect(f.nextRetryDelay, name).toBeGreaterThanOrEqual(lo);
      expect(f.nextRetryDelay, name).toBeLessThanOrEqual(hi);
    }
    // Never beyond the policy's cap.
    expect(hi).toBeLessThanOrEqual(60_000);
    expect(requests.map((r) => [r.endpoint, r.ok, r.kind])).toEqual([
      ['inventory-update', false, 'server_error'],
      ['inventory-list', false, 'server_error'],
      ['inventory-parents', false, 'server_error'],
    ]);
  });

  it('still records a refused batch or creation as its result, not a failure', async () => {
    const env = activityAt(2);
    const acts = activities(refused('PUT', '/inventory/variants'));
    settled.length = 0;
    const pushed = (await env.run(acts.pushInventoryBatch, { runKey: 'r', batch: 0 })) as PushResult;
    expect(pushed).toMatchObject({ requests: 1, confirmed: 0, failed: 1 });
    expect(pushed.failures[0]?.error).toMatch(/^the whole batch was refused: /);
    expect(settled).toHaveLength(1);
    const created = (await env.run(acts.createUnknownInventoryVariants, { runKey: 'r' })) as CreateResult;
    expect(created).toMatchObject({ tried: 1, created: 0, failed: 1 });
    expect(created.failures[0]?.error).toMatch(/^the whole request was refused: /);
  });

  it('jitters the urgent activities within their own, shorter policy (INVENTORY_URGENT_RETRY, cap 30 s)', async () => {
    const env = activityAt(4);
    const acts = activities(unavailable('PUT', '/inventory/variants'));
    const f = await failureOf(
      env.run(acts.pushUrgentVariants, { rows: [{ row: row.row, inventoryVariantId: 11 }] }),
    );
    expect(f.nonRetryable).toBe(false);
    const [lo, hi] = bounds(4, INVENTORY_URGENT_CALL_BACKOFF);
    expect(hi).toBe(8_000); // 1 s doubling: attempt 4 waits up to 8 s
    expect(f.nextRetryDelay).toBeGreaterThanOrEqual(lo);
    expect(f.nextRetryDelay).toBeLessThanOrEqual(hi);
    const late = await failureOf(
      activityAt(9).run(acts.pushUrgentVariants, { rows: [{ row: row.row, inventoryVariantId: 11 }] }),
    );
    expect(late.nextRetryDelay).toBeLessThanOrEqual(30_000);
  });

  it('wraps an unexpected error as a retryable Flxpoint.unexpected, jittered the same way', async () => {
    const env = activityAt(2);
    const f = await failureOf(
      env.run(activities(new Error('socket hang up')).pushInventoryBatch, { runKey: 'r', batch: 0 }),
    );
    expect(f.type).toBe('Flxpoint.unexpected');
    const [lo, hi] = bounds(2, INVENTORY_CALL_BACKOFF);
    expect(f.nextRetryDelay).toBeGreaterThanOrEqual(lo);
    expect(f.nextRetryDelay).toBeLessThanOrEqual(hi);
  });
});

describe('FR activities keep their own backoffs through the shared wrapper', () => {
  it('the list within FLXPOINT_LIST_RETRY, an FR read within FLXPOINT_FR_RETRY', async () => {
    const env = activityAt(8);
    const fail = () => Promise.reject(unavailable('GET', '/fulfillment-requests'));
    const client = {
      listFulfillmentRequests: fail,
      getFulfillmentRequest: fail,
    } as unknown as FlxpointClient;
    const acts = createFlxpointActivities(client, { newStatus: 'Pending' });
    const list = await failureOf(env.run(acts.listNewFulfillmentRequests, { page: 1, size: 50 }));
    const [llo, lhi] = bounds(8, LIST_CALL_BACKOFF);
    expect(list.nextRetryDelay).toBeGreaterThanOrEqual(llo);
    expect(list.nextRetryDelay).toBeLessThanOrEqual(lhi);
    const get = await failureOf(env.run(acts.fetchFulfillmentRequest, { frId: 1 }));
    const [glo, ghi] = bounds(8, FR_CALL_BACKOFF);
    expect(get.nextRetryDelay).toBeGreaterThanOrEqual(glo);
    expect(get.nextRetryDelay).toBeLessThanOrEqual(ghi);
  });
});
