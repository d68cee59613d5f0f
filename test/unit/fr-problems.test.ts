import { describe, expect, it } from 'vitest';
import type { FulfillmentRequestSnapshot } from '../../common/domain';
import { acceptAllHandler } from '../../handlers/accept-all';
import { frProblems } from '../../handlers/fr-problems';

// Issue 10 row 6: an FR that cannot be fulfilled as sent is named field by field, once, before the handler.

const fr = (quantities: unknown[]): FulfillmentRequestSnapshot => ({
  id: 9,
  fulfillmentRequestItems: quantities.map((quantity, i) => ({ id: 90 + i, sku: `S${i}`, quantity }) as never),
});

describe('frProblems', () => {
  it('finds nothing wrong with whole positive quantities', () => {
    expect(frProblems(fr([1, 3, 250]))).toEqual([]);
  });

  it('names an FR without items', () => {
    expect(frProblems(fr([]))).toEqual([
      'fulfillmentRequestItems is empty: the FR has nothing to acknowledge or ship',
    ]);
    expect(frProblems({ id: 9 } as unknown as FulfillmentRequestSnapshot)).toHaveLength(1);
  });

  it('names every bad quantity with its index and value', () => {
    expect(frProblems(fr([2, 1.5, 0, -1, '3', null]))).toEqual([
      'fulfillmentRequestItems[1].quantity is 1.5: not a whole positive number',
      'fulfillmentRequestItems[2].quantity is 0: not a whole positive number',
      'fulfillmentRequestItems[3].quantity is -1: not a whole positive number',
      'fulfillmentRequestItems[4].quantity is "3": not a whole positive number',
      'fulfillmentRequestItems[5].quantity is null: not a whole positive number',
    ]);
  });

  it('accept-all fails such an FR with the problems as the reason, and accepts a sound one', async () => {
    const ctx = { sourceKey: 'main', sourceId: 1, workflowId: 'fr:1:9', attempt: 1 };
    const bad = fr([1.5]);
    expect(await acceptAllHandler.decide(bad, { ...ctx, problems: frProblems(bad) })).toEqual({
      kind: 'fail',
      reason: 'fulfillmentRequestItems[0].quantity is 1.5: not a whole positive number',
    });
    expect(await acceptAllHandler.decide(fr([1]), { ...ctx, problems: [] })).toEqual({ kind: 'accept' });
  });
});
