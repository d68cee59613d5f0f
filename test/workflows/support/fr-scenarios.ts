import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { expect } from 'vitest';
import { FR_TOO_LARGE, LOCAL_STORE_REJECTED } from '../../../common/failure-types';
import {
  addShipmentUpdate,
  cancelSignal,
  failSignal,
  pauseSignal,
  resumeSignal,
  shipmentSignal,
  statusQuery,
  type FrOutcome,
  type FrStatus,
} from '../../../workflows/definitions';
import type { processFulfillmentRequestWorkflow } from '../../../workflows/process-fulfillment-request';
import { flxpointFailure, gate, sampleFr, type Call, type FakeOptions, type Gate } from './fr-env';

// Every branch of the FR workflow as a scenario: fakes, what the operator/warehouse does, the outcome.
// test/workflows/fr-workflow.test.ts runs them against the time-skipping server and asserts; with
// RECORD_HISTORIES=<release> it also writes each history to test/fixtures/histories/<release>/, which the
// replay test replays against the current workflow code forever after.

export type FrHandle = WorkflowHandle<typeof processFulfillmentRequestWorkflow>;

export interface ScenarioContext {
  env: TestWorkflowEnvironment;
  handle: FrHandle;
  gates: Record<string, Gate>;
  calls: Call[];
}

export interface FrScenario {
  name: string;
  /**
   * Skips time: runs on a test server of its own. An activity cut short by a signal (TRY_CANCEL) and
   * completed after its workflow closed keeps the shared test server's time-skipping locked.
   */
  skipsTime?: boolean;
  /** Shipment deadline; default 7 days. */
  shipmentDeadlineMs?: number;
  /** Gates the fakes block on, by name, created fresh per run. */
  gates?: string[];
  fakes(gates: Record<string, Gate>): FakeOptions;
  drive?(ctx: ScenarioContext): Promise<void>;
  /** The workflow's outcome, or 'workflow_failed' when the workflow itself fails. */
  outcome: FrOutcome | 'workflow_failed';
  check?(status: FrStatus | null, calls: Call[], error?: unknown): void;
}

export async function statusOf(h: FrHandle): Promise<FrStatus> {
  return h.query(statusQuery);
}

/** Polls the status query until `pred` holds (real time; activities here finish at once). */
export async function until(
  h: FrHandle,
  what: string,
  pred: (s: FrStatus) => boolean,
  timeoutMs = 10_000,
): Promise<FrStatus> {
  const end = Date.now() + timeoutMs;
  let last: FrStatus | undefined;
  while (Date.now() < end) {
    try {
      last = await statusOf(h);
      if (pred(last)) return last;
    } catch {
      // not started yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}; last status ${JSON.stringify(last)}`);
}

const awaiting = (h: FrHandle) => until(h, 'awaiting_shipment', (s) => s.step === 'awaiting_shipment');
const shipAll = (h: FrHandle, trackingNumber = 'TN-ALL') =>
  h.executeUpdate(addShipmentUpdate, {
    args: [
      {
        trackingNumber,
        items: [
          { id: 71, quantity: 2 },
          { id: 72, quantity: 1 },
        ],
      },
    ],
  });

export const names = (calls: Call[]) => calls.map((c) => c.name);
const inputsOf = (calls: Call[], name: Call['name']) =>
  calls.filter((c) => c.name === name).map((c) => c.input as Record<string, unknown>);

/** Fetch blocks on the gate the first time only (an operator's signal cuts it short). */
function blockFirstFetch(g: Gate): FakeOptions['flxpoint'] {
  let first = true;
  return {
    async fetchFulfillmentRequest() {
      if (first) {
        first = false;
        await g.wait();
      }
      return sampleFr();
    },
  };
}

export const FR_SCENARIOS: FrScenario[] = [
  {
    name: 'fr-accept-ship',
    fakes: () => ({}),
    async drive({ handle }) {
      await awaiting(handle);
      expect(await shipAll(handle)).toEqual({ trackingNumber: 'TN-ALL', status: 'accepted' });
    },
    outcome: 'acknowledged_and_shipped',
    check(status, calls) {
      expect(names(calls)).toEqual([
        'fetchFulfillmentRequest',
        'decideFulfillmentRequest',
        'commitFulfillmentRequest',
        'acknowledgeFulfillmentRequest',
        'recordFrOutcome',
        'createShipment',
        'recordShipment',
        'recordFrOutcome',
      ]);
      expect(status!.items.map((i) => [i.acknowledged, i.shipped, i.cancelled])).toEqual([
        [2, 2, 0],
        [1, 1, 0],
      ]);
      expect(status!.shipments.map((s) => [s.trackingNumber, s.status, s.flxpointShipmentId])).toEqual([
        ['TN-ALL', 'created', 501],
      ]);
    },
  },
  {
    // The shipment is checked and normalised by common/shipment.ts before the FR takes it.
    name: 'fr-shipment-normalised',
    fakes: () => ({}),
    async drive({ handle }) {
      await awaiting(handle);
      const refused = await handle
        .executeUpdate(addShipmentUpdate, {
          args: [
            {
              trackingNumber: 'TN-JS',
              trackingUrl: 'javascript:alert(1)',
              items: [{ id: 71, quantity: 2 }],
            },
          ],
        })
        .catch((e: { cause?: Error }) => e.cause?.message);
      expect(refused).toMatch(/trackingUrl must be an http\(s\) URL/);
      // A bad signal is refused and logged; nothing changes.
      await handle.signal(shipmentSignal, { trackingNumber: '  ', items: [] });
      await until(handle, 'signal refused', (s) => s.refusals.length === 1);
      expect(
        await handle.executeUpdate(addShipmentUpdate, {
          args: [
            {
              trackingNumber: '  TN-OK  ',
              carrier: ' UPS ',
              trackingUrl: 'https://track.example/TN-OK',
              items: [
                { id: 71, quantity: 2 },
                { id: 72, quantity: 1 },
              ],
            },
          ],
        }),
      ).toEqual({ trackingNumber: 'TN-OK', status: 'accepted' });
    },
    outcome: 'acknowledged_and_shipped',
    check(status, calls) {
      expect(status!.refusals[0]).toMatch(/shipment signal refused: trackingNumber must not be empty/);
      expect(inputsOf(calls, 'createShipment')[0]!.shipment).toEqual({
        trackingNumber: 'TN-OK',
        carrier: 'UPS',
        trackingUrl: 'https://track.example/TN-OK',
        items: [
          { id: 71, quantity: 2 },
          { id: 72, quantity: 1 },
        ],
      });
    },
  },
  {
    name: 'fr-accept-ship-in-parts',
    fakes: () => {
      let n = 0;
      return {
        flxpoint: {
          // The second create answers "duplicate tracking number": an earlier attempt created it.
          async createShipment() {
            n++;
            return n === 2
              ? { shipmentId: null, duplicate: true }
              : { shipmentId: 600 + n, duplicate: false };
          },
        },
      };
    },
    async drive({ handle }) {
      await awaiting(handle);
      await handle.signal(shipmentSignal, { trackingNumber: ' TN-1 ', items: [{ id: 71, quantity: 1 }] });
      await until(handle, 'TN-1 created', (s) => s.shipments[0]?.status === 'created');
      // A repeat of a known tracking number is harmless.
      expect(
        await handle.executeUpdate(addShipmentUpdate, {
          args: [{ trackingNumber: 'TN-1', items: [{ id: 71, quantity: 1 }] }],
        }),
      ).toEqual({ trackingNumber: 'TN-1', status: 'duplicate' });
      // More than is left is refused by the validator and changes nothing.
      const refused = await handle
        .executeUpdate(addShipmentUpdate, {
          args: [{ trackingNumber: 'TN-X', items: [{ id: 71, quantity: 2 }] }],
        })
        .catch((e: { cause?: Error }) => e.cause?.message);
      expect(refused).toMatch(/only 1 remain/);
      await handle.signal(shipmentSignal, {
        trackingNumber: 'TN-2',
        items: [
          { id: 71, quantity: 1 },
          { id: 72, quantity: 1 },
        ],
      });
    },
    outcome: 'acknowledged_and_shipped',
    check(status, calls) {
      expect(status!.shipments.map((s) => [s.trackingNumber, s.status])).toEqual([
        ['TN-1', 'created'],
        ['TN-2', 'duplicate'],
      ]);
      expect(inputsOf(calls, 'createShipment')).toHaveLength(2);
    },
  },
  {
    // Found by test/chaos/intake-load.test.ts: while a created shipment was being recorded locally, the
    // update validator counted its units twice (shipped and still reserved) and refused the FR's last units
    // with "only 0 remain". A shipment stops holding a reserve the moment the ledger counts it.
    name: 'fr-last-units-while-recording',
    gates: ['record'],
    fakes: (g) => {
      let first = true;
      return {
        pipeline: {
          async recordShipment() {
            if (first) {
              first = false;
              await g.record!.wait();
            }
            return { inserted: true };
          },
        },
      };
    },
    async drive({ handle, gates }) {
      await awaiting(handle);
      await handle.executeUpdate(addShipmentUpdate, {
        args: [{ trackingNumber: 'TN-1', items: [{ id: 71, quantity: 1 }] }],
      });
      await gates.record!.entered;
      // TN-1 is created in Flxpoint and being recorded: exactly the rest of the FR is still shippable.
      expect(
        await handle.executeUpdate(addShipmentUpdate, {
          args: [
            {
              trackingNumber: 'TN-2',
              items: [
                { id: 71, quantity: 1 },
                { id: 72, quantity: 1 },
              ],
            },
          ],
        }),
      ).toEqual({ trackingNumber: 'TN-2', status: 'accepted' });
      gates.record!.open();
    },
    outcome: 'acknowledged_and_shipped',
    check(status, calls) {
      expect(status!.shipments.map((s) => [s.trackingNumber, s.status])).toEqual([
        ['TN-1', 'created'],
        ['TN-2', 'created'],
      ]);
      expect(status!.items.map((i) => [i.shipped, i.quantity])).toEqual([
        [2, 2],
        [1, 1],
      ]);
      expect(inputsOf(calls, 'createShipment')).toHaveLength(2);
    },
  },
  {
    name: 'fr-shipment-refused',
    fakes: () => ({
      flxpoint: {
        async createShipment({ shipment }) {
          if (shipment.trackingNumber === 'TN-BAD') throw flxpointFailure('bad_request', 'carrier unknown');
          return { shipmentId: 700, duplicate: false };
        },
      },
    }),
    async drive({ handle }) {
      await awaiting(handle);
      await shipAll(handle, 'TN-BAD');
      await until(handle, 'TN-BAD rejected', (s) => s.shipments[0]?.status === 'rejected');
      await shipAll(handle, 'TN-GOOD');
    },
    outcome: 'acknowledged_and_shipped',
    check(status, calls) {
      expect(status!.shipments.map((s) => [s.trackingNumber, s.status])).toEqual([
        ['TN-BAD', 'rejected'],
        ['TN-GOOD', 'created'],
      ]);
      expect(status!.refusals.join('\n')).toMatch(/TN-BAD refused by Flxpoint: carrier unknown/);
      expect(inputsOf(calls, 'recordShipment')).toHaveLength(1);
    },
  },
  {
    name: 'fr-partial-ship',
    fakes: () => ({
      pipeline: {
        async decideFulfillmentRequest() {
          return { kind: 'partial', items: [{ id: 71, acknowledgedQuantity: 1 }], killOrFillType: 'kill' };
        },
      },
    }),
    async drive({ handle }) {
      await awaiting(handle);
      await handle.executeUpdate(addShipmentUpdate, {
        args: [{ trackingNumber: 'TN-P', items: [{ id: 71, quantity: 1 }] }],
      });
    },
    outcome: 'adjusted_and_shipped',
    check(status, calls) {
      expect(inputsOf(calls, 'adjustFulfillmentRequest')[0]!.body).toEqual({
        killOrFillType: 'kill',
        items: [
          { id: 71, acknowledgedQuantity: 1, cancelledQuantity: 1 },
          { id: 72, acknowledgedQuantity: 0, cancelledQuantity: 1 },
        ],
      });
      expect(names(calls)).not.toContain('acknowledgeFulfillmentRequest');
      expect(inputsOf(calls, 'recordFrOutcome').map((i) => i.outcome)).toEqual([
        'adjusted',
        'adjusted_and_shipped',
      ]);
      expect(status!.items.map((i) => [i.acknowledged, i.shipped, i.cancelled])).toEqual([
        [1, 1, 1],
        [0, 0, 1],
      ]);
    },
  },
  {
    // Voided units are closed: neither acknowledged nor cancelled by the adjust, nor waited for.
    name: 'fr-partial-voided',
    fakes: () => ({
      fr: sampleFr({
        fulfillmentRequestItems: [
          { id: 71, sku: 'A', quantity: 3, acknowledgedQuantity: 0, canceledQuantity: 0, voidedQuantity: 1 },
          { id: 72, sku: 'B', quantity: 1, acknowledgedQuantity: 0, canceledQuantity: 0 },
        ],
      }),
      pipeline: {
        async decideFulfillmentRequest() {
          return { kind: 'partial', items: [{ id: 71, acknowledgedQuantity: 1 }], killOrFillType: 'fill' };
        },
      },
    }),
    async drive({ handle }) {
      await awaiting(handle);
      // One unit acknowledged, one cancelled, one voided: one left to ship.
      const refused = await handle
        .executeUpdate(addShipmentUpdate, {
          args: [{ trackingNumber: 'TN-V', items: [{ id: 71, quantity: 2 }] }],
        })
        .catch((e: { cause?: Error }) => e.cause?.message);
      expect(refused).toMatch(/only 1 remain/);
      await handle.executeUpdate(addShipmentUpdate, {
        args: [{ trackingNumber: 'TN-V', items: [{ id: 71, quantity: 1 }] }],
      });
    },
    outcome: 'adjusted_and_shipped',
    check(status, calls) {
      expect(inputsOf(calls, 'adjustFulfillmentRequest')[0]!.body).toEqual({
        killOrFillType: 'fill',
        items: [
          { id: 71, acknowledgedQuantity: 1, cancelledQuantity: 1 },
          { id: 72, acknowledgedQuantity: 0, cancelledQuantity: 1 },
        ],
      });
      expect(status!.items[0]).toMatchObject({ acknowledged: 1, cancelled: 1, voided: 1, shipped: 1 });
    },
  },
  {
    name: 'fr-partial-nothing',
    fakes: () => ({
      pipeline: {
        async decideFulfillmentRequest() {
          return { kind: 'partial', items: [{ id: 71, acknowledgedQuantity: 0 }], killOrFillType: 'fill' };
        },
      },
    }),
    outcome: 'rejected',
    check(status, calls) {
      expect(status!.items.every((i) => i.acknowledged === 0)).toBe(true);
      expect(names(calls)).not.toContain('createShipment');
    },
  },
  {
    name: 'fr-reject',
    fakes: () => ({
      pipeline: {
        async decideFulfillmentRequest() {
          return { kind: 'reject', reason: 'no stock', killOrFillType: 'kill' };
        },
      },
    }),
    outcome: 'rejected',
    check(status, calls) {
      expect(inputsOf(calls, 'adjustFulfillmentRequest')[0]!.body).toEqual({
        killOrFillType: 'kill',
        items: [
          { id: 71, acknowledgedQuantity: 0, cancelledQuantity: 2 },
          { id: 72, acknowledgedQuantity: 0, cancelledQuantity: 1 },
        ],
      });
      expect(status!.decision).toEqual({ kind: 'reject', reason: 'no stock', killOrFillType: 'kill' });
    },
  },
  {
    name: 'fr-commit-binding',
    fakes: () => ({
      pipeline: {
        // A replayed commit returns the decision stored first: that one is binding.
        async commitFulfillmentRequest() {
          return {
            inserted: false,
            decision: { kind: 'reject', reason: 'stored earlier', killOrFillType: 'fill' },
          };
        },
      },
    }),
    outcome: 'rejected',
    check(status, calls) {
      expect(status!.decision).toMatchObject({ kind: 'reject', reason: 'stored earlier' });
      expect(names(calls)).not.toContain('acknowledgeFulfillmentRequest');
    },
  },
  {
    name: 'fr-handler-fail',
    fakes: () => ({
      pipeline: {
        async decideFulfillmentRequest() {
          const { ApplicationFailure } = await import('@temporalio/common');
          throw ApplicationFailure.create({
            type: 'HandlerRejected',
            nonRetryable: true,
            message: 'address cannot be shipped to',
          });
        },
      },
    }),
    outcome: 'processing_failed',
    check(status, calls) {
      expect(inputsOf(calls, 'markFulfillmentRequestFailed')[0]!.reason).toBe('address cannot be shipped to');
      expect(inputsOf(calls, 'commitFulfillmentRequest')[0]!.decision).toEqual({
        kind: 'fail',
        reason: 'address cannot be shipped to',
      });
      expect(status!.lastError).toBe('address cannot be shipped to');
    },
  },
  {
    name: 'fr-decision-fail',
    fakes: () => ({
      pipeline: {
        async decideFulfillmentRequest() {
          return { kind: 'fail', reason: 'cannot ship to this address' };
        },
      },
    }),
    outcome: 'processing_failed',
    check(_status, calls) {
      expect(names(calls)).toEqual([
        'fetchFulfillmentRequest',
        'decideFulfillmentRequest',
        'commitFulfillmentRequest',
        'markFulfillmentRequestFailed',
        'recordFrOutcome',
      ]);
    },
  },
  {
    name: 'fr-fail-refused',
    fakes: () => ({
      pipeline: {
        async decideFulfillmentRequest() {
          return { kind: 'fail', reason: 'cannot ship' };
        },
      },
      flxpoint: {
        async markFulfillmentRequestFailed() {
          throw flxpointFailure('invalid_transition');
        },
      },
    }),
    outcome: 'processing_failed_refused',
    check(status, calls) {
      expect(names(calls).filter((n) => n === 'fetchFulfillmentRequest')).toHaveLength(2);
      expect(status!.refusals.join('\n')).toMatch(/processing-failed refused by Flxpoint/);
    },
  },
  {
    name: 'fr-fail-refused-cancelled-upstream',
    fakes: () => {
      let fetches = 0;
      return {
        pipeline: {
          async decideFulfillmentRequest() {
            return { kind: 'fail', reason: 'cannot ship' };
          },
        },
        flxpoint: {
          async fetchFulfillmentRequest() {
            return sampleFr(++fetches > 1 ? { statusHandle: 'canceled' } : {});
          },
          async markFulfillmentRequestFailed() {
            throw flxpointFailure('invalid_transition');
          },
        },
      };
    },
    outcome: 'cancelled_upstream',
  },
  {
    name: 'fr-cancelled-upstream-at-fetch',
    fakes: () => ({ fr: sampleFr({ statusHandle: 'voided' }) }),
    outcome: 'cancelled_upstream',
    check(_s, calls) {
      expect(names(calls)).toEqual(['fetchFulfillmentRequest', 'recordFrOutcome']);
    },
  },
  {
    name: 'fr-processing-error-at-fetch',
    fakes: () => ({ fr: sampleFr({ statusHandle: 'processing_error' }) }),
    outcome: 'processing_failed',
    check(_s, calls) {
      expect(names(calls)).toEqual(['fetchFulfillmentRequest', 'recordFrOutcome']);
    },
  },
  {
    name: 'fr-not-found',
    fakes: () => ({
      flxpoint: {
        async fetchFulfillmentRequest() {
          throw flxpointFailure('not_found', 'Flxpoint GET answered 404 (not_found)');
        },
      },
    }),
    outcome: 'not_found',
    check(_s, calls) {
      expect(names(calls)).toEqual(['fetchFulfillmentRequest', 'recordFrOutcome']);
    },
  },
  {
    name: 'fr-fetch-unauthorized',
    fakes: () => ({
      flxpoint: {
        async fetchFulfillmentRequest() {
          throw flxpointFailure('unauthorized', 'Flxpoint GET answered 401 (unauthorized)');
        },
      },
    }),
    outcome: 'workflow_failed',
    check(_s, calls, error) {
      // WorkflowFailedError → ActivityFailure → ApplicationFailure of the error taxonomy.
      const e = error as { name: string; cause?: { name: string; cause?: { name: string; type?: string } } };
      expect(e.name).toBe('WorkflowFailedError');
      expect(e.cause?.name).toBe('ActivityFailure');
      expect(e.cause?.cause?.name).toBe('ApplicationFailure');
      expect(e.cause?.cause?.type).toBe('Flxpoint.unauthorized');
      expect(names(calls)).toEqual(['fetchFulfillmentRequest']);
    },
  },
  {
    name: 'fr-ack-refused',
    fakes: () => ({
      flxpoint: {
        async acknowledgeFulfillmentRequest() {
          throw flxpointFailure('bad_request');
        },
      },
    }),
    outcome: 'acknowledge_refused',
    check(status, calls) {
      expect(names(calls).filter((n) => n === 'fetchFulfillmentRequest')).toHaveLength(2);
      expect(status!.lastError).toMatch(/bad_request/);
    },
  },
  {
    name: 'fr-ack-refused-voided-upstream',
    fakes: () => {
      let fetches = 0;
      return {
        flxpoint: {
          async fetchFulfillmentRequest() {
            return sampleFr(++fetches > 1 ? { statusHandle: 'voided' } : {});
          },
          async acknowledgeFulfillmentRequest() {
            throw flxpointFailure('invalid_transition');
          },
        },
      };
    },
    outcome: 'cancelled_upstream',
  },
  {
    name: 'fr-adjust-refused',
    fakes: () => ({
      pipeline: {
        async decideFulfillmentRequest() {
          return { kind: 'reject', reason: 'no stock', killOrFillType: 'fill' };
        },
      },
      flxpoint: {
        async adjustFulfillmentRequest() {
          throw flxpointFailure('bad_request');
        },
      },
    }),
    outcome: 'acknowledge_refused',
  },
  {
    name: 'fr-operator-fail-during-fetch',
    gates: ['fetch'],
    fakes: (g) => ({ flxpoint: blockFirstFetch(g.fetch!) }),
    async drive({ handle, gates }) {
      await gates.fetch!.entered;
      await handle.signal(failSignal, { reason: 'wrong source' });
    },
    outcome: 'processing_failed',
    check(_s, calls) {
      expect(names(calls)).toEqual([
        'fetchFulfillmentRequest',
        'markFulfillmentRequestFailed',
        'recordFrOutcome',
      ]);
      expect(inputsOf(calls, 'markFulfillmentRequestFailed')[0]!.reason).toBe('wrong source');
    },
  },
  {
    name: 'fr-operator-cancel-during-fetch',
    gates: ['fetch'],
    fakes: (g) => ({ flxpoint: blockFirstFetch(g.fetch!) }),
    async drive({ handle, gates }) {
      await gates.fetch!.entered;
      await handle.signal(cancelSignal, { reason: 'customer cancelled' });
    },
    outcome: 'cancelled_by_operator',
    check(status, calls) {
      expect(names(calls)).toEqual([
        'fetchFulfillmentRequest',
        'fetchFulfillmentRequest',
        'commitFulfillmentRequest',
        'adjustFulfillmentRequest',
        'recordFrOutcome',
      ]);
      expect(status!.decision).toEqual({
        kind: 'reject',
        reason: 'customer cancelled',
        killOrFillType: 'fill',
      });
      expect(status!.items.map((i) => i.cancelled)).toEqual([2, 1]);
    },
  },
  {
    name: 'fr-operator-fail-during-handler',
    gates: ['decide'],
    fakes: (g) => ({
      pipeline: {
        async decideFulfillmentRequest() {
          await g.decide!.wait();
          return { kind: 'accept' };
        },
      },
    }),
    async drive({ handle, gates }) {
      await gates.decide!.entered;
      await handle.signal(failSignal, { reason: 'handler stuck' });
    },
    outcome: 'processing_failed',
    check(_s, calls) {
      expect(names(calls)).not.toContain('commitFulfillmentRequest');
    },
  },
  {
    name: 'fr-operator-cancel-during-handler',
    gates: ['decide'],
    fakes: (g) => ({
      pipeline: {
        async decideFulfillmentRequest() {
          await g.decide!.wait();
          return { kind: 'accept' };
        },
      },
    }),
    async drive({ handle, gates }) {
      await gates.decide!.entered;
      await handle.signal(cancelSignal);
    },
    outcome: 'cancelled_by_operator',
    check(status, calls) {
      expect(status!.decision).toEqual({
        kind: 'reject',
        reason: 'cancelled by operator',
        killOrFillType: 'fill',
      });
      expect(names(calls)).not.toContain('acknowledgeFulfillmentRequest');
    },
  },
  {
    name: 'fr-operator-fail-during-commit',
    // The fail cuts the commit short (patch local-step-interruptible): a server of its own.
    skipsTime: true,
    gates: ['commit'],
    fakes: (g) => ({
      pipeline: {
        async commitFulfillmentRequest(input) {
          await g.commit!.wait();
          return { inserted: true, decision: input.decision };
        },
      },
    }),
    async drive({ handle, gates }) {
      await gates.commit!.entered;
      // The commit stays blocked: the fail cuts it short (the gate opens once the workflow is done).
      await handle.signal(failSignal, { reason: 'stop it' });
    },
    outcome: 'processing_failed',
    check(_s, calls) {
      expect(names(calls)).not.toContain('acknowledgeFulfillmentRequest');
      expect(inputsOf(calls, 'markFulfillmentRequestFailed')[0]!.reason).toBe('stop it');
    },
  },
  {
    // Issue 10 row 7: the fetch refuses an FR over Temporal's payload limit once (non-retryable FrTooLarge).
    name: 'fr-too-large',
    fakes: () => ({
      flxpoint: {
        async fetchFulfillmentRequest() {
          throw ApplicationFailure.create({
            type: FR_TOO_LARGE,
            nonRetryable: true,
            message: 'FR 7 is too large for this integration: 6000 items, 1900000 bytes serialized',
          });
        },
      },
    }),
    outcome: 'processing_failed',
    check(status, calls) {
      expect(names(calls).filter((n) => n === 'fetchFulfillmentRequest')).toHaveLength(1);
      expect(names(calls)).not.toContain('decideFulfillmentRequest');
      expect(inputsOf(calls, 'markFulfillmentRequestFailed')[0]!.reason).toMatch(/too large .*6000 items/);
      expect(status!.lastError).toMatch(/too large/);
    },
  },
  {
    // Issue 10 row 2: the store refuses the FR's data on every attempt (non-retryable LocalStoreRejected).
    name: 'fr-store-refused',
    fakes: () => ({
      pipeline: {
        async commitFulfillmentRequest() {
          throw ApplicationFailure.create({
            type: LOCAL_STORE_REJECTED,
            nonRetryable: true,
            message: 'store commit of FR 1001/7 failed: value too long (SQLSTATE 22001)',
          });
        },
      },
    }),
    outcome: 'processing_failed',
    check(status, calls) {
      expect(names(calls)).not.toContain('acknowledgeFulfillmentRequest');
      expect(names(calls).filter((n) => n === 'commitFulfillmentRequest')).toHaveLength(1);
      const reason = inputsOf(calls, 'markFulfillmentRequestFailed')[0]!.reason as string;
      expect(reason).toMatch(/could not store this fulfillment request locally .*SQLSTATE 22001/);
      expect(status!.lastError).toMatch(/SQLSTATE 22001/);
    },
  },
  ...(['fail', 'cancel'] as const).map((signal): FrScenario => ({
    // Issue 10 row 2: a commit that keeps failing (database down) no longer holds the FR: fail/cancel cut it short.
    name: `fr-operator-${signal}-during-failing-commit`,
    skipsTime: true,
    gates: ['commit'],
    fakes: (g) => ({
      pipeline: {
        async commitFulfillmentRequest() {
          void g.commit!.wait();
          throw new Error('database unavailable');
        },
      },
    }),
    async drive({ handle, gates }) {
      await gates.commit!.entered;
      if (signal === 'fail') await handle.signal(failSignal, { reason: 'store down' });
      else await handle.signal(cancelSignal, { reason: 'store down' });
    },
    outcome: signal === 'fail' ? 'processing_failed' : 'cancelled_by_operator',
    check(status, calls) {
      expect(names(calls)).not.toContain('acknowledgeFulfillmentRequest');
      if (signal === 'fail')
        expect(inputsOf(calls, 'markFulfillmentRequestFailed')[0]!.reason).toBe('store down');
      else {
        expect(names(calls)).toContain('adjustFulfillmentRequest');
        expect(status!.items.map((i) => i.cancelled)).toEqual([2, 1]);
      }
    },
  })),
  {
    name: 'fr-pause-resume',
    gates: ['decide'],
    fakes: (g) => ({
      pipeline: {
        async decideFulfillmentRequest() {
          await g.decide!.wait();
          return { kind: 'accept' };
        },
      },
    }),
    async drive({ handle, gates, calls }) {
      await gates.decide!.entered;
      await handle.signal(pauseSignal, { reason: 'checking stock' });
      gates.decide!.open();
      // The running step finishes; the next one waits.
      await new Promise((r) => setTimeout(r, 300));
      const held = await statusOf(handle);
      expect(held.paused).toBe(true);
      expect(held.step).toBe('handling');
      expect(names(calls)).not.toContain('commitFulfillmentRequest');
      await handle.signal(resumeSignal);
      await awaiting(handle);
      await shipAll(handle);
    },
    outcome: 'acknowledged_and_shipped',
  },
  {
    name: 'fr-fail-while-paused',
    gates: ['decide'],
    fakes: (g) => ({
      pipeline: {
        async decideFulfillmentRequest() {
          await g.decide!.wait();
          return { kind: 'accept' };
        },
      },
    }),
    async drive({ handle, gates }) {
      await gates.decide!.entered;
      await handle.signal(pauseSignal);
      gates.decide!.open();
      await until(handle, 'paused', (s) => s.paused);
      await handle.signal(failSignal, { reason: 'given up while paused' });
      await until(handle, 'paused at failing', (s) => s.step === 'committing' || s.step === 'failing');
      await handle.signal(resumeSignal);
    },
    outcome: 'processing_failed',
    check(_s, calls) {
      expect(inputsOf(calls, 'markFulfillmentRequestFailed')[0]!.reason).toBe('given up while paused');
    },
  },
  {
    name: 'fr-cancel-after-ack',
    fakes: () => ({}),
    async drive({ handle }) {
      await awaiting(handle);
      await handle.executeUpdate(addShipmentUpdate, {
        args: [{ trackingNumber: 'TN-1', items: [{ id: 71, quantity: 1 }] }],
      });
      await until(handle, 'TN-1 created', (s) => s.shipments[0]?.status === 'created');
      // After acknowledgement processing-failed is not allowed: refused, nothing changes.
      await handle.signal(failSignal, { reason: 'too late' });
      await until(handle, 'fail refused', (s) => s.refusals.length === 1);
      await handle.signal(pauseSignal, { reason: 'replay test' });
      await handle.signal(resumeSignal);
      await handle.signal(cancelSignal, { reason: 'customer cancelled' });
    },
    outcome: 'cancelled_by_operator',
    check(status, calls) {
      expect(status!.refusals[0]).toMatch(/fail refused: the FR is already acknowledged/);
      expect(inputsOf(calls, 'adjustFulfillmentRequest')[0]!.body).toEqual({
        killOrFillType: 'fill',
        items: [
          { id: 71, acknowledgedQuantity: 1, cancelledQuantity: 1 },
          { id: 72, acknowledgedQuantity: 0, cancelledQuantity: 1 },
        ],
      });
    },
  },
  {
    name: 'fr-cancel-refused-then-shipped',
    fakes: () => ({
      flxpoint: {
        async adjustFulfillmentRequest() {
          throw flxpointFailure('invalid_transition', 'already shipped');
        },
      },
    }),
    async drive({ handle }) {
      await awaiting(handle);
      await handle.signal(cancelSignal, { reason: 'too late?' });
      await until(handle, 'cancel refused', (s) => s.refusals.length === 1);
      await shipAll(handle);
    },
    outcome: 'acknowledged_and_shipped',
    check(status) {
      expect(status!.refusals[0]).toMatch(/cancel refused by Flxpoint: already shipped/);
    },
  },
  {
    name: 'fr-overdue',
    skipsTime: true,
    shipmentDeadlineMs: 60 * 60 * 1000,
    fakes: () => ({}),
    async drive({ env, handle }) {
      await awaiting(handle);
      expect((await statusOf(handle)).overdue).toBe(false);
      await env.sleep('2 hours');
      const s = await until(handle, 'overdue', (st) => st.overdue);
      expect(s.step).toBe('awaiting_shipment');
      await env.sleep('3 days');
      await shipAll(handle);
    },
    outcome: 'acknowledged_and_shipped',
    check(status) {
      expect(status!.overdue).toBe(true);
    },
  },
];

export function gatesFor(s: FrScenario): Record<string, Gate> {
  return Object.fromEntries((s.gates ?? []).map((n) => [n, gate()]));
}
