import { describe, expect, it } from 'vitest';
import type { FulfillmentRequestSnapshot } from '../../common/domain';
import {
  applyDecision,
  applyShipment,
  cancelUnshipped,
  fullyResolved,
  ledgerFromFr,
  shipmentProblems,
} from '../../workflows/fr-quantities';

const fr: FulfillmentRequestSnapshot = {
  id: 7,
  fulfillmentRequestItems: [
    { id: 1, sku: 'A', quantity: 3 },
    { id: 2, sku: 'B', quantity: 2, acknowledgedQuantity: 0, canceledQuantity: 0, shippedQuantity: 0 },
  ],
};

describe('FR quantity ledger', () => {
  it('accept acknowledges everything open; a partial cancels the rest', () => {
    const l = ledgerFromFr(fr);
    expect(applyDecision(l, { kind: 'accept' }).map((i) => i.acknowledged)).toEqual([3, 2]);
    const partial = applyDecision(l, {
      kind: 'partial',
      items: [{ id: 1, acknowledgedQuantity: 1 }],
      killOrFillType: 'kill',
    });
    expect(partial.map((i) => [i.acknowledged, i.cancelled])).toEqual([
      [1, 2],
      [0, 2],
    ]);
    expect(fullyResolved(partial)).toBe(false);
    expect(
      fullyResolved(applyShipment(partial, { trackingNumber: 'T', items: [{ id: 1, quantity: 1 }] })),
    ).toBe(true);
  });

  it('a reject resolves the FR at once; cancelling the unshipped rest too', () => {
    const l = ledgerFromFr(fr);
    expect(
      fullyResolved(applyDecision(l, { kind: 'reject', reason: 'no stock', killOrFillType: 'fill' })),
    ).toBe(true);
    const shippedOne = applyShipment(applyDecision(l, { kind: 'accept' }), {
      trackingNumber: 'T',
      items: [{ id: 1, quantity: 1 }],
    });
    const cancelled = cancelUnshipped(shippedOne);
    expect(cancelled.map((i) => [i.shipped, i.cancelled])).toEqual([
      [1, 2],
      [0, 2],
    ]);
    expect(fullyResolved(cancelled)).toBe(true);
  });

  it('validates shipments against the FR and what is already pending', () => {
    const l = applyDecision(ledgerFromFr(fr), { kind: 'accept' });
    expect(shipmentProblems({ trackingNumber: '1Z', items: [{ id: 1, quantity: 3 }] }, l, [])).toEqual([]);
    expect(shipmentProblems({ items: [{ id: 1, quantity: 1 }] }, l, [])).toEqual([
      'trackingNumber is required (a non-empty string)',
    ]);
    expect(shipmentProblems({ trackingNumber: '1Z', items: [] }, l, [])[0]).toMatch(/at least one/);
    expect(shipmentProblems({ trackingNumber: '1Z', items: [{ id: 99, quantity: 1 }] }, l, [])[0]).toMatch(
      /not an item of this FR/,
    );
    expect(shipmentProblems({ trackingNumber: '1Z', items: [{ id: 1, quantity: 0 }] }, l, [])[0]).toMatch(
      /positive integer/,
    );
    expect(shipmentProblems({ trackingNumber: '1Z', items: [{ id: 1, quantity: 4 }] }, l, [])[0]).toMatch(
      /only 3 remain/,
    );
    const pending = [{ trackingNumber: 'P', items: [{ id: 1, quantity: 2 }] }];
    expect(
      shipmentProblems({ trackingNumber: '1Z', items: [{ id: 1, quantity: 2 }] }, l, pending)[0],
    ).toMatch(/only 1 remain/);
    expect(shipmentProblems('nonsense', l, [])[0]).toMatch(/must be an object/);
    expect(
      shipmentProblems(
        { trackingNumber: '1Z', shippedAt: 'yesterday', items: [{ id: 1, quantity: 1 }] },
        l,
        [],
      )[0],
    ).toMatch(/ISO-8601/);
  });
});
