import { expect } from 'vitest';
import type { FulfillmentRequestSnapshot } from '../../../common/domain';
import { addShipmentUpdate, failSignal } from '../../../workflows/definitions';
import { flxpointFailure, sampleFr, type FakeOptions, type Flx } from './fr-env';
import { names, until, type FrHandle, type FrScenario } from './fr-scenarios';

// Settling uncertain Flxpoint writes by reading the FR (workflows/settle.ts), per write and branch:
//   ours     the write landed but its answer was lost (the activity's retry fails `outcome_unknown`) → success
//   conflict Flxpoint shows the write done although every attempt of ours was refused → outcome/entry `conflict`
//   absent   nothing there: after a lost answer the write is sent again; after a 4xx the refusal stands
//   gone     the FR is cancelled/voided upstream → cancelled_upstream (issue 10 row 8 for shipments)
// plus issue 10 row 1 (a fail that arrives while the acknowledge/adjust is in flight).

/** A small mutable Flxpoint FR the fakes read and write. */
function flx(start: FulfillmentRequestSnapshot = sampleFr()) {
  const state = { fr: structuredClone(start) };
  return {
    state,
    fetch: (async () => structuredClone(state.fr)) as Flx['fetchFulfillmentRequest'],
    /** What Flxpoint does on acknowledge: every open unit acknowledged. */
    acknowledge(): void {
      state.fr = {
        ...state.fr,
        statusHandle: 'acknowledged',
        fulfillmentRequestItems: state.fr.fulfillmentRequestItems.map((i) => ({
          ...i,
          acknowledgedQuantity: i.quantity - (i.canceledQuantity ?? 0),
        })),
      };
    },
    adjust(body: {
      items?: { id?: number; acknowledgedQuantity?: number; cancelledQuantity?: number }[] | null;
    }) {
      const byId = new Map((body.items ?? []).map((i) => [i.id, i]));
      state.fr = {
        ...state.fr,
        fulfillmentRequestItems: state.fr.fulfillmentRequestItems.map((i) => {
          const b = byId.get(i.id);
          return b
            ? { ...i, acknowledgedQuantity: b.acknowledgedQuantity, canceledQuantity: b.cancelledQuantity }
            : i;
        }),
      };
      return structuredClone(state.fr);
    },
    ship(trackingNumber: string, lines: { id: number; quantity: number }[], id = 900): void {
      const qty = new Map(lines.map((l) => [l.id, l.quantity]));
      state.fr = {
        ...state.fr,
        fulfillmentRequestItems: state.fr.fulfillmentRequestItems.map((i) => ({
          ...i,
          shippedQuantity: (i.shippedQuantity ?? 0) + (qty.get(i.id) ?? 0),
        })),
        shipments: [
          ...((state.fr['shipments'] as unknown[] | undefined) ?? []),
          {
            id,
            trackingNumber,
            shipmentItems: lines.map((l) => ({ fulfillmentRequestItemId: l.id, quantity: l.quantity })),
          },
        ],
      };
    },
  };
}

const lost = () =>
  flxpointFailure('outcome_unknown', 'Flxpoint acknowledge: attempt 2 follows one whose outcome is unknown');
/** A 4xx in words that name no reason, as the simulator's `random` error wording answers. */
const refusedInOtherWords = () =>
  flxpointFailure('bad_request', 'Flxpoint answered 400 (bad_request): Request rejected (code E4821)');

const ALL = [
  { id: 71, quantity: 2 },
  { id: 72, quantity: 1 },
];
const awaiting = (h: FrHandle) => until(h, 'awaiting_shipment', (s) => s.step === 'awaiting_shipment');
const ship = (h: FrHandle, trackingNumber: string, items = ALL) =>
  h.executeUpdate(addShipmentUpdate, { args: [{ trackingNumber, items }] });
const count = (calls: { name: string }[], name: string) => calls.filter((c) => c.name === name).length;
const reject = { kind: 'reject', reason: 'no stock', killOrFillType: 'fill' } as const;
const fail = { kind: 'fail', reason: 'cannot ship' } as const;

export const SETTLE_SCENARIOS: FrScenario[] = [
  // ---- acknowledge
  {
    name: 'fr-settle-ack-lost-answer-ours',
    fakes: () => {
      const f = flx();
      return {
        flxpoint: {
          fetchFulfillmentRequest: f.fetch,
          async acknowledgeFulfillmentRequest() {
            f.acknowledge(); // landed; the answer is lost and the activity's retry refuses to send blind
            throw lost();
          },
        },
      };
    },
    async drive({ handle }) {
      await awaiting(handle);
      await ship(handle, 'TN-ALL');
    },
    outcome: 'acknowledged_and_shipped',
    check(status, calls) {
      expect(count(calls, 'acknowledgeFulfillmentRequest')).toBe(1);
      expect(count(calls, 'fetchFulfillmentRequest')).toBe(2);
      expect(status!.conflicts).toBeUndefined();
      expect(status!.items.map((i) => i.acknowledged)).toEqual([2, 1]);
    },
  },
  {
    name: 'fr-settle-ack-lost-before-sent-again',
    fakes: () => {
      const f = flx();
      let n = 0;
      return {
        flxpoint: {
          fetchFulfillmentRequest: f.fetch,
          async acknowledgeFulfillmentRequest() {
            if (++n === 1) throw lost(); // never reached Flxpoint
            f.acknowledge();
            return 'acknowledged';
          },
        },
      };
    },
    async drive({ handle }) {
      await awaiting(handle);
      await ship(handle, 'TN-ALL');
    },
    outcome: 'acknowledged_and_shipped',
    check(_s, calls) {
      expect(count(calls, 'acknowledgeFulfillmentRequest')).toBe(2);
    },
  },
  {
    name: 'fr-settle-ack-someone-else-conflict',
    fakes: () => {
      const f = flx();
      return {
        flxpoint: {
          fetchFulfillmentRequest: f.fetch,
          async acknowledgeFulfillmentRequest() {
            f.acknowledge(); // a user in the Flxpoint UI, just before us
            throw refusedInOtherWords();
          },
        },
      };
    },
    outcome: 'conflict',
    check(status, calls) {
      expect(status!.conflicts).toHaveLength(1);
      expect(status!.conflicts![0]).toMatch(
        /conflict on acknowledge: the FR is acknowledged in Flxpoint, but not by this worker/,
      );
      expect(status!.lastError).toMatch(/conflict on acknowledge/);
      expect(names(calls)).not.toContain('createShipment');
    },
  },
  {
    // "already acknowledged" in words is a hint only: the FR reads as not acknowledged, so the 4xx stands.
    name: 'fr-settle-ack-wording-is-no-evidence',
    fakes: () => ({
      flxpoint: {
        async acknowledgeFulfillmentRequest() {
          throw flxpointFailure('already_acknowledged', 'Flxpoint answered 400 (already_acknowledged)');
        },
      },
    }),
    outcome: 'acknowledge_refused',
    check(status) {
      expect(status!.lastError).toMatch(/already_acknowledged/);
    },
  },
  // ---- adjust
  {
    name: 'fr-settle-adjust-lost-answer-ours',
    fakes: () => {
      const f = flx();
      return {
        pipeline: { decideFulfillmentRequest: async () => reject },
        flxpoint: {
          fetchFulfillmentRequest: f.fetch,
          async adjustFulfillmentRequest({ body }) {
            f.adjust(body);
            throw lost();
          },
        },
      };
    },
    outcome: 'rejected',
    check(status, calls) {
      expect(count(calls, 'adjustFulfillmentRequest')).toBe(1);
      expect(status!.items.map((i) => i.cancelled)).toEqual([2, 1]);
    },
  },
  {
    name: 'fr-settle-adjust-someone-else-conflict',
    fakes: () => {
      const f = flx();
      return {
        pipeline: {
          decideFulfillmentRequest: async () => ({
            kind: 'partial',
            items: [{ id: 71, acknowledgedQuantity: 1 }],
            killOrFillType: 'fill',
          }),
        },
        flxpoint: {
          fetchFulfillmentRequest: f.fetch,
          async adjustFulfillmentRequest() {
            f.acknowledge(); // someone acknowledged everything first
            throw refusedInOtherWords();
          },
        },
      };
    },
    outcome: 'conflict',
    check(status) {
      expect(status!.conflicts![0]).toMatch(
        /conflict on adjust: the FR's quantities were changed in Flxpoint by someone else/,
      );
    },
  },
  // ---- processing-failed
  {
    name: 'fr-settle-fail-lost-answer-ours',
    fakes: () => {
      const f = flx();
      return {
        pipeline: { decideFulfillmentRequest: async () => fail },
        flxpoint: {
          fetchFulfillmentRequest: f.fetch,
          async markFulfillmentRequestFailed() {
            f.state.fr = { ...f.state.fr, statusHandle: 'processing_error' };
            throw lost();
          },
        },
      };
    },
    outcome: 'processing_failed',
    check(status, calls) {
      expect(count(calls, 'markFulfillmentRequestFailed')).toBe(1);
      expect(status!.refusals).toEqual([]);
    },
  },
  {
    name: 'fr-settle-fail-someone-else-conflict',
    fakes: () => {
      const f = flx();
      return {
        pipeline: { decideFulfillmentRequest: async () => fail },
        flxpoint: {
          fetchFulfillmentRequest: f.fetch,
          async markFulfillmentRequestFailed() {
            f.acknowledge();
            throw refusedInOtherWords();
          },
        },
      };
    },
    outcome: 'conflict',
    check(status) {
      expect(status!.conflicts![0]).toMatch(
        /conflict on processing-failed: the FR is acknowledged in Flxpoint/,
      );
    },
  },
  {
    name: 'fr-settle-fail-lost-before-sent-again',
    fakes: () => {
      let n = 0;
      return {
        pipeline: { decideFulfillmentRequest: async () => fail },
        flxpoint: {
          async markFulfillmentRequestFailed() {
            if (++n === 1) throw lost();
          },
        },
      };
    },
    outcome: 'processing_failed',
    check(_s, calls) {
      expect(count(calls, 'markFulfillmentRequestFailed')).toBe(2);
    },
  },
  // ---- shipment
  {
    name: 'fr-settle-shipment-lost-answer-ours',
    fakes: () => {
      const f = flx();
      return {
        flxpoint: {
          fetchFulfillmentRequest: f.fetch,
          async acknowledgeFulfillmentRequest() {
            f.acknowledge();
            return 'acknowledged';
          },
          async createShipment({ shipment }) {
            f.ship(shipment.trackingNumber, shipment.items, 901);
            throw lost();
          },
        },
      };
    },
    async drive({ handle }) {
      await awaiting(handle);
      await ship(handle, 'TN-ALL');
    },
    outcome: 'acknowledged_and_shipped',
    check(status, calls) {
      expect(count(calls, 'createShipment')).toBe(1);
      expect(count(calls, 'recordShipment')).toBe(1);
      expect(status!.shipments.map((s) => [s.trackingNumber, s.status, s.flxpointShipmentId])).toEqual([
        ['TN-ALL', 'created', 901],
      ]);
    },
  },
  {
    name: 'fr-settle-shipment-other-items-conflict',
    fakes: () => {
      const f = flx();
      return {
        flxpoint: {
          fetchFulfillmentRequest: f.fetch,
          async acknowledgeFulfillmentRequest() {
            f.acknowledge();
            return 'acknowledged';
          },
          async createShipment({ shipment }) {
            if (shipment.trackingNumber === 'TN-DUP') {
              // Someone posted TN-DUP with one unit of A; the answer's words say nothing.
              f.ship('TN-DUP', [{ id: 71, quantity: 1 }], 902);
              throw refusedInOtherWords();
            }
            f.ship(shipment.trackingNumber, shipment.items, 903);
            return { shipmentId: 903, duplicate: false };
          },
        },
      };
    },
    async drive({ handle }) {
      await awaiting(handle);
      await ship(handle, 'TN-DUP');
      const s = await until(handle, 'TN-DUP settled', (st) => st.shipments[0]?.status === 'rejected');
      expect(s.step).toBe('awaiting_shipment');
      // The units Flxpoint records as shipped by the other shipment are no longer waited for.
      expect(s.items.map((i) => i.shipped)).toEqual([1, 0]);
      await ship(handle, 'TN-REST', [
        { id: 71, quantity: 1 },
        { id: 72, quantity: 1 },
      ]);
    },
    outcome: 'acknowledged_and_shipped',
    check(status) {
      expect(status!.shipments.map((s) => [s.trackingNumber, s.status])).toEqual([
        ['TN-DUP', 'rejected'],
        ['TN-REST', 'created'],
      ]);
      expect(status!.shipments[0]!.error).toMatch(
        /^conflict: tracking number TN-DUP is already on this FR in Flxpoint with other items/,
      );
      expect(status!.conflicts).toHaveLength(1);
    },
  },
  {
    // Issue 10 row 8: the FR was cancelled upstream after our acknowledgement; Flxpoint refuses the shipment.
    name: 'fr-settle-shipment-fr-voided-upstream',
    fakes: () => {
      const f = flx();
      return {
        flxpoint: {
          fetchFulfillmentRequest: f.fetch,
          async acknowledgeFulfillmentRequest() {
            f.acknowledge();
            return 'acknowledged';
          },
          async createShipment() {
            f.state.fr = { ...f.state.fr, statusHandle: 'voided' };
            throw refusedInOtherWords();
          },
        },
      };
    },
    async drive({ handle }) {
      await awaiting(handle);
      await ship(handle, 'TN-LATE');
    },
    outcome: 'cancelled_upstream',
    check(status, calls) {
      expect(status!.shipments).toMatchObject([
        { trackingNumber: 'TN-LATE', status: 'rejected', error: expect.stringMatching(/voided in Flxpoint/) },
      ]);
      expect(names(calls)).not.toContain('recordShipment');
    },
  },
  // ---- issue 10 row 1: fail while the claim is in flight
  ...(['acknowledge', 'adjust'] as const).map((what): FrScenario => ({
    name: `fr-fail-during-${what}-refused`,
    gates: ['claim'],
    fakes: (g): FakeOptions => {
      const f = flx();
      return {
        ...(what === 'adjust'
          ? {
              pipeline: {
                decideFulfillmentRequest: async () => ({
                  kind: 'partial' as const,
                  items: [{ id: 71, acknowledgedQuantity: 2 }],
                  killOrFillType: 'fill' as const,
                }),
              },
            }
          : {}),
        flxpoint: {
          fetchFulfillmentRequest: f.fetch,
          async acknowledgeFulfillmentRequest() {
            await g.claim!.wait();
            f.acknowledge();
            return 'acknowledged';
          },
          async adjustFulfillmentRequest({ body }) {
            await g.claim!.wait();
            return f.adjust(body);
          },
        },
      };
    },
    async drive({ handle, gates }) {
      await gates.claim!.entered;
      // Recorded before the activity's completion, so the workflow sees the fail first.
      await handle.signal(failSignal, { reason: 'changed my mind' });
      gates.claim!.open();
      await awaiting(handle);
      await ship(handle, 'TN-AFTER', what === 'adjust' ? [{ id: 71, quantity: 2 }] : ALL);
    },
    outcome: what === 'adjust' ? 'adjusted_and_shipped' : 'acknowledged_and_shipped',
    check(status, calls) {
      expect(status!.refusals).toHaveLength(1);
      expect(status!.refusals[0]).toMatch(
        new RegExp(`fail refused: it arrived while the ${what} was in flight.*reason was: changed my mind`),
      );
      expect(names(calls)).not.toContain('markFulfillmentRequestFailed');
    },
  })),
];
