import { describe, expect, it } from 'vitest';
import type { FulfillmentRequestSnapshot } from '../../common/domain';
import { applyDecision, ledgerFromFr } from '../../workflows/fr-quantities';
import {
  settleAcknowledge,
  settleAdjust,
  settleProcessingFailed,
  settleShipment,
} from '../../workflows/settle';

// The read-back rules (docs/flxpoint-api.md): what an FR read after an uncertain or refused write means.

const UNCERTAIN = { uncertain: true };
const REFUSED = { uncertain: false };

function fr(
  statusHandle: string,
  items: [ack: number, cancelled: number, shipped?: number][] = [
    [0, 0],
    [0, 0],
  ],
  shipments?: unknown[],
): FulfillmentRequestSnapshot {
  return {
    id: 7,
    statusHandle,
    fulfillmentRequestItems: items.map(([ack, cancelled, shipped = 0], n) => ({
      id: 71 + n,
      sku: n === 0 ? 'A' : 'B',
      quantity: n === 0 ? 2 : 1,
      acknowledgedQuantity: ack,
      canceledQuantity: cancelled,
      shippedQuantity: shipped,
    })),
    ...(shipments ? { shipments } : {}),
  };
}

const open = ledgerFromFr(fr('processing'));
const acked = applyDecision(open, { kind: 'accept' });

describe('settleAcknowledge', () => {
  it('acknowledged as we asked after an unknown outcome: ours', () => {
    expect(
      settleAcknowledge(
        fr('acknowledged', [
          [2, 0],
          [1, 0],
        ]),
        acked,
        UNCERTAIN,
      ),
    ).toEqual({ kind: 'ours' });
  });
  it('acknowledged although every attempt of ours was refused: someone else did it (conflict)', () => {
    const s = settleAcknowledge(
      fr('acknowledged', [
        [2, 0],
        [1, 0],
      ]),
      acked,
      REFUSED,
    );
    expect(s).toMatchObject({ kind: 'conflict', detail: expect.stringMatching(/not by this worker/) });
  });
  it('acknowledged with other quantities: conflict naming the item, whatever our attempts', () => {
    const s = settleAcknowledge(
      fr('acknowledged', [
        [1, 1],
        [1, 0],
      ]),
      acked,
      UNCERTAIN,
    );
    expect(s).toMatchObject({
      kind: 'conflict',
      detail: expect.stringMatching(/item 71 \(A\) acknowledged 1/),
    });
  });
  it('still waiting: absent; cancelled, voided or 404: gone', () => {
    expect(settleAcknowledge(fr('processing'), acked, REFUSED)).toEqual({ kind: 'absent' });
    expect(settleAcknowledge(fr('processed'), acked, UNCERTAIN)).toEqual({ kind: 'absent' });
    expect(settleAcknowledge(fr('voided'), acked, UNCERTAIN).kind).toBe('gone');
    expect(settleAcknowledge(fr('canceled'), acked, REFUSED).kind).toBe('gone');
    expect(settleAcknowledge('not_found', acked, REFUSED).kind).toBe('gone');
  });
  it('failed by someone else: conflict', () => {
    expect(settleAcknowledge(fr('processing_error'), acked, UNCERTAIN).kind).toBe('conflict');
  });
});

describe('settleAdjust', () => {
  const partial = {
    items: [
      { id: 71, acknowledgedQuantity: 1, cancelledQuantity: 1 },
      { id: 72, acknowledgedQuantity: 0, cancelledQuantity: 1 },
    ],
  };
  it('quantities as asked after an unknown outcome: ours; after refusals only: conflict', () => {
    const read = fr('acknowledged', [
      [1, 1],
      [0, 1],
    ]);
    expect(settleAdjust(read, partial, open, UNCERTAIN)).toEqual({ kind: 'ours' });
    expect(settleAdjust(read, partial, open, REFUSED).kind).toBe('conflict');
  });
  it('unchanged since before: absent', () => {
    expect(settleAdjust(fr('processing'), partial, open, REFUSED)).toEqual({ kind: 'absent' });
  });
  it('changed by someone else to other quantities: conflict', () => {
    const s = settleAdjust(
      fr('acknowledged', [
        [2, 0],
        [1, 0],
      ]),
      partial,
      open,
      UNCERTAIN,
    );
    expect(s).toMatchObject({ kind: 'conflict', detail: expect.stringMatching(/item 71 acknowledged 2/) });
  });
  it('a reject that finds the FR cancelled: ours only when our attempt may have done it', () => {
    const reject = {
      items: [
        { id: 71, acknowledgedQuantity: 0, cancelledQuantity: 2 },
        { id: 72, acknowledgedQuantity: 0, cancelledQuantity: 1 },
      ],
    };
    const read = fr('canceled', [
      [0, 2],
      [0, 1],
    ]);
    expect(settleAdjust(read, reject, open, UNCERTAIN)).toEqual({ kind: 'ours' });
    expect(settleAdjust(read, reject, open, REFUSED).kind).toBe('gone');
    expect(settleAdjust(fr('voided'), partial, open, UNCERTAIN).kind).toBe('gone');
    expect(settleAdjust('not_found', partial, open, UNCERTAIN).kind).toBe('gone');
  });
});

describe('settleProcessingFailed', () => {
  it('processing error after an unknown outcome: ours; after refusals only: conflict', () => {
    expect(settleProcessingFailed(fr('processing_error'), UNCERTAIN)).toEqual({ kind: 'ours' });
    expect(settleProcessingFailed(fr('processing_error'), REFUSED).kind).toBe('conflict');
  });
  it('still waiting: absent; acknowledged by someone else: conflict; cancelled: gone', () => {
    expect(settleProcessingFailed(fr('processing'), REFUSED)).toEqual({ kind: 'absent' });
    expect(
      settleProcessingFailed(
        fr('acknowledged', [
          [2, 0],
          [1, 0],
        ]),
        UNCERTAIN,
      ).kind,
    ).toBe('conflict');
    expect(settleProcessingFailed(fr('canceled'), REFUSED).kind).toBe('gone');
  });
});

describe('settleShipment', () => {
  const ours = {
    trackingNumber: 'TN-1',
    items: [
      { id: 71, quantity: 2 },
      { id: 72, quantity: 1 },
    ],
  };
  const flxShipment = (trackingNumber: string, lines: [number, number][], alias = false) => ({
    id: 900,
    trackingNumber,
    shipmentItems: lines.map(([id, quantity]) =>
      alias ? { purchaseOrderItemId: id, quantity } : { fulfillmentRequestItemId: id, quantity },
    ),
  });
  const shipped = (s: unknown[]) =>
    fr(
      'acknowledged',
      [
        [2, 0, 2],
        [1, 0, 1],
      ],
      s,
    );

  it('same tracking number and items (in any order, either item id name) after an unknown outcome: ours', () => {
    const read = shipped([
      flxShipment(
        'TN-1',
        [
          [72, 1],
          [71, 1],
          [71, 1],
        ],
        true,
      ),
    ]);
    expect(settleShipment(read, ours, UNCERTAIN)).toEqual({ kind: 'ours', shipmentId: 900 });
  });
  it('same shipment but every attempt of ours refused: someone else posted it (conflict)', () => {
    const s = settleShipment(
      shipped([
        flxShipment('TN-1', [
          [71, 2],
          [72, 1],
        ]),
      ]),
      ours,
      REFUSED,
    );
    expect(s).toMatchObject({ kind: 'conflict', detail: expect.stringMatching(/not by this worker/) });
  });
  it('our tracking number with other items: conflict listing both', () => {
    const s = settleShipment(shipped([flxShipment('TN-1', [[71, 1]])]), ours, UNCERTAIN);
    expect(s).toMatchObject({
      kind: 'conflict',
      detail: expect.stringMatching(/other items \(item 71 × 1; ours: item 71 × 2, item 72 × 1\)/),
    });
  });
  it('no shipment with our tracking number (or no shipments array): absent', () => {
    expect(settleShipment(shipped([flxShipment('TN-2', [[71, 2]])]), ours, UNCERTAIN)).toEqual({
      kind: 'absent',
    });
    expect(
      settleShipment(
        fr('acknowledged', [
          [2, 0],
          [1, 0],
        ]),
        ours,
        UNCERTAIN,
      ),
    ).toEqual({ kind: 'absent' });
  });
  it('an FR cancelled or voided upstream, or gone: gone', () => {
    expect(settleShipment(fr('voided'), ours, REFUSED)).toMatchObject({
      kind: 'gone',
      detail: 'the FR is voided in Flxpoint',
    });
    expect(settleShipment('not_found', ours, REFUSED).kind).toBe('gone');
  });
});
