import { ApplicationFailure } from '@temporalio/common';
import type { FulfillmentRequestSnapshot, ShipmentRecord } from '../common/domain';
import { flxpointFailureType } from '../common/failure-types';
import type { FlxpointClient } from './flxpoint/client';
import type { RequestPacer } from './request-pacer';
import { FlxpointError, toApplicationFailure } from './flxpoint/errors';
import type { AdjustRequest } from './flxpoint/schemas';
import { toSnapshot } from './flxpoint/schemas';

// Flxpoint activities: exactly one HTTP request each, so the task queue's activity rate limit is the
// token's request budget. Created once per source with that source's client (and so its token, which
// never leaves this closure). Errors are translated in one place: toApplicationFailure.

export interface FrRef {
  id: number;
  number: string | null;
}

export interface ListPageResult {
  refs: FrRef[];
  malformed: { id?: number; problem: string }[];
  /** Items Flxpoint returned on the page, valid or not: a short page is the last one. */
  rawCount: number;
}

export interface FlxpointActivityMetrics {
  request(outcome: { endpoint: string; ok: boolean; kind?: string; seconds: number }): void;
}

export function createFlxpointActivities(
  client: FlxpointClient,
  opts: { newStatus: string; metrics?: FlxpointActivityMetrics; pacer?: RequestPacer },
) {
  async function call<T>(endpoint: string, fn: () => Promise<T>): Promise<T> {
    await opts.pacer?.take();
    const started = performance.now();
    try {
      const result = await fn();
      opts.metrics?.request({ endpoint, ok: true, seconds: (performance.now() - started) / 1000 });
      return result;
    } catch (err) {
      const kind = err instanceof FlxpointError ? err.kind : 'unexpected';
      opts.metrics?.request({ endpoint, ok: false, kind, seconds: (performance.now() - started) / 1000 });
      throw toApplicationFailure(err);
    }
  }

  return {
    /** One page of FRs waiting for this source. Only references go into the poller's history. */
    async listNewFulfillmentRequests(input: { page: number; size: number }): Promise<ListPageResult> {
      const res = await call('list', () =>
        client.listFulfillmentRequests({ status: opts.newStatus, page: input.page, size: input.size }),
      );
      return {
        refs: res.items.map((fr) => ({ id: fr.id, number: fr.fulfillmentRequestNumber ?? null })),
        malformed: res.malformed.map((m) => ({ id: m.id, problem: m.problem })),
        rawCount: res.rawCount,
      };
    },

    /** The FR as Flxpoint has it now; a 404 becomes a non-retryable `Flxpoint.not_found`. */
    async fetchFulfillmentRequest(input: { frId: number }): Promise<FulfillmentRequestSnapshot> {
      return toSnapshot(await call('get', () => client.getFulfillmentRequest(input.frId)));
    },

    /** Acknowledges every open quantity. "Already acknowledged" is success: a retried ack must not fail. */
    async acknowledgeFulfillmentRequest(input: {
      frId: number;
    }): Promise<'acknowledged' | 'already_acknowledged'> {
      try {
        await call('acknowledge', () => client.acknowledge(input.frId));
        return 'acknowledged';
      } catch (err) {
        if (err instanceof ApplicationFailure && err.type === flxpointFailureType('already_acknowledged'))
          return 'already_acknowledged';
        throw err;
      }
    },

    async adjustFulfillmentRequest(input: {
      frId: number;
      body: AdjustRequest;
    }): Promise<FulfillmentRequestSnapshot> {
      return toSnapshot(await call('adjust', () => client.adjust(input.frId, input.body)));
    },

    async markFulfillmentRequestFailed(input: { frId: number; reason: string }): Promise<void> {
      await call('processing-failed', () => client.markProcessingFailed(input.frId, input.reason));
    },

    /**
     * Creates one shipment. A duplicate tracking number on the same FR means an earlier attempt already
     * created it (the response was lost): success, not an error.
     */
    async createShipment(input: {
      frId: number;
      sourceId: number;
      shipment: ShipmentRecord;
    }): Promise<{ shipmentId: number | null; duplicate: boolean }> {
      const s = input.shipment;
      try {
        const created = await call('create-shipment', () =>
          client.createShipment({
            fulfillmentRequestId: input.frId,
            sourceId: input.sourceId,
            shipment: {
              trackingNumber: s.trackingNumber,
              carrier: s.carrier,
              method: s.method,
              shippedAt: s.shippedAt,
              trackingUrl: s.trackingUrl,
              shipmentItems: s.items.map((i) => ({ fulfillmentRequestItemId: i.id, quantity: i.quantity })),
            },
          }),
        );
        return { shipmentId: created.id ?? null, duplicate: false };
      } catch (err) {
        if (
          err instanceof ApplicationFailure &&
          err.type === flxpointFailureType('duplicate_tracking_number')
        ) {
          return { shipmentId: null, duplicate: true };
        }
        throw err;
      }
    },
  };
}

export type FlxpointActivities = ReturnType<typeof createFlxpointActivities>;
