import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { FulfillmentRequestSnapshot, ShipmentRecord } from '../common/domain';
import { flxpointFailureType } from '../common/failure-types';
import type { FlxpointClient } from './flxpoint/client';
import type { RequestPacer } from './request-pacer';
import { FR_CALL_BACKOFF, LIST_CALL_BACKOFF } from './flxpoint/errors';
import { createFlxpointCall, currentAttempt, type FlxpointActivityMetrics } from './flxpoint-call';
import type { AdjustRequest } from './flxpoint/schemas';
import { toSnapshot } from './flxpoint/schemas';
import { checkSnapshotSize } from './fr-payload-size';
import type { FrSnapshotCache } from './fr-snapshot-cache';
import { isComplete, screenListPage } from './list-screening';

// Flxpoint activities: exactly one HTTP request each, so the task queue's activity rate limit is the
// token's request budget. Created once per source with that source's client (and so its token, which
// never leaves this closure). Requests are paced, measured and their errors translated in one place:
// flxpoint-call.ts (toApplicationFailure, jittered within the FR or list retry policy).
//
// Writes (acknowledge, adjust, processing-failed, shipment) are never sent blind a second time: a retried
// attempt follows one whose answer may have been lost after Flxpoint acted, so it fails at once with the
// non-retryable `Flxpoint.outcome_unknown` and the FR workflow reads the FR to settle the write
// (workflows/settle.ts; docs/flxpoint-api.md, "Read-back rules"). Error wording is no evidence either way:
// an "already acknowledged" or "duplicate tracking number" 4xx is a refusal like any other until the read
// shows whose write it was.

export interface FrRef {
  id: number;
  number: string | null;
}

export interface ListPageResult {
  /** FRs on the page whose own status says they wait for this source (or says nothing): start these. */
  refs: FrRef[];
  malformed: { id?: number; problem: string }[];
  /** Items Flxpoint returned on the page, valid or not: a short page is the last one. */
  rawCount: number;
  /** Valid FRs on the page whose own status says they are not waiting (acknowledged, canceled…): skipped. */
  notWaiting?: number;
  /**
   * Set when the answer shows the server did not apply the list query (FRs with other statuses, or more
   * elements than the page size): the configured dialect is being ignored. Says what was seen.
   */
  filterIgnored?: string;
}

export type { FlxpointActivityMetrics };

export function createFlxpointActivities(
  client: FlxpointClient,
  opts: {
    newStatus: string;
    metrics?: FlxpointActivityMetrics;
    pacer?: RequestPacer;
    /** Largest FR snapshot the fetch returns (activities/fr-payload-size.ts); default 1.5 MB. */
    maxSnapshotBytes?: number;
    /** Where listed FRs wait for their workflow's first read (activities/fr-snapshot-cache.ts). */
    listed?: { cache: FrSnapshotCache; sourceId: number };
  },
) {
  const flxpoint = createFlxpointCall(opts);
  function call<T>(endpoint: string, fn: () => Promise<T>): Promise<T> {
    return flxpoint.call(endpoint, fn, endpoint === 'list' ? LIST_CALL_BACKOFF : FR_CALL_BACKOFF);
  }

  /** A write: sent on the first attempt only (see the note at the top). */
  async function write<T>(endpoint: string, fn: () => Promise<T>): Promise<T> {
    const attempt = currentAttempt();
    if (attempt > 1) {
      opts.metrics?.request({ endpoint, ok: false, kind: 'outcome_unknown', seconds: 0 });
      throw ApplicationFailure.create({
        type: flxpointFailureType('outcome_unknown'),
        nonRetryable: true,
        message:
          `Flxpoint ${endpoint}: attempt ${attempt} follows one whose outcome is unknown (its answer was lost, ` +
          'or it failed after Flxpoint may have acted); not sent again blind: the workflow reads the FR to settle it',
        details: [{ kind: 'outcome_unknown', endpoint, attempt }],
      });
    }
    return call(endpoint, fn);
  }

  return {
    /**
     * One page of FRs waiting for this source. Only references go into the poller's history; complete
     * waiting FRs go to the worker's listed-FR cache for their workflow's first read. Whatever the list was
     * asked for, each element's own status decides: an FR that is not waiting is never handed on.
     */
    async listNewFulfillmentRequests(input: { page: number; size: number }): Promise<ListPageResult> {
      const res = await call('list', () =>
        client.listFulfillmentRequests({ status: opts.newStatus, page: input.page, size: input.size }),
      );
      const page = screenListPage(res.items, res.rawCount, input.size);
      if (opts.listed) {
        for (const fr of page.waiting)
          if (isComplete(fr)) opts.listed.cache.put(opts.listed.sourceId, toSnapshot(fr));
      }
      if (page.filterIgnored) {
        log.warn(
          `Flxpoint ignored the FR list query (${client.listDialect} dialect): ${page.filterIgnored}. ` +
            'FRs that are not waiting are skipped and this poll stops paging; run `npm run cli -- doctor` and ' +
            'set FLXPOINT_LIST_DIALECT to the dialect it recommends',
          { page: input.page, size: input.size, dialect: client.listDialect },
        );
      }
      return {
        refs: page.waiting.map((fr) => ({ id: fr.id, number: fr.fulfillmentRequestNumber ?? null })),
        malformed: res.malformed.map((m) => ({ id: m.id, problem: m.problem })),
        rawCount: res.rawCount,
        ...(page.notWaiting > 0 ? { notWaiting: page.notWaiting } : {}),
        ...(page.filterIgnored ? { filterIgnored: page.filterIgnored } : {}),
      };
    },

    /** The FR as Flxpoint has it now; a 404 becomes a non-retryable `Flxpoint.not_found`. */
    async fetchFulfillmentRequest(input: { frId: number }): Promise<FulfillmentRequestSnapshot> {
      const fr = toSnapshot(await call('get', () => client.getFulfillmentRequest(input.frId)));
      // Refused once, non-retryably, rather than failing at Temporal's payload limit on every retry.
      checkSnapshotSize(fr, opts.maxSnapshotBytes);
      return fr;
    },

    /**
     * Acknowledges every open quantity. A 4xx (whatever its words, "already acknowledged" included) is
     * thrown: the workflow reads the FR to tell our acknowledgement from someone else's. The
     * `already_acknowledged` result is no longer produced; recorded histories still hold it.
     */
    async acknowledgeFulfillmentRequest(input: {
      frId: number;
    }): Promise<'acknowledged' | 'already_acknowledged'> {
      await write('acknowledge', () => client.acknowledge(input.frId));
      return 'acknowledged';
    },

    async adjustFulfillmentRequest(input: {
      frId: number;
      body: AdjustRequest;
    }): Promise<FulfillmentRequestSnapshot> {
      return toSnapshot(await write('adjust', () => client.adjust(input.frId, input.body)));
    },

    async markFulfillmentRequestFailed(input: { frId: number; reason: string }): Promise<void> {
      await write('processing-failed', () => client.markProcessingFailed(input.frId, input.reason));
    },

    /**
     * Creates one shipment. A 4xx ("duplicate tracking number" or any other words) is thrown: the workflow
     * reads the FR's shipments to tell a create of ours whose answer was lost from someone else's. The
     * `duplicate: true` result is no longer produced; recorded histories still hold it.
     */
    async createShipment(input: {
      frId: number;
      sourceId: number;
      shipment: ShipmentRecord;
    }): Promise<{ shipmentId: number | null; duplicate: boolean }> {
      const s = input.shipment;
      const created = await write('create-shipment', () =>
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
    },
  };
}

export type FlxpointActivities = ReturnType<typeof createFlxpointActivities>;
