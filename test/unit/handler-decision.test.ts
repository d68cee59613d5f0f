import { describe, expect, it } from 'vitest';
import type { FulfillmentRequestSnapshot } from '../../common/domain';
import { DecisionValidationError, openQuantity, validateDecision } from '../../handlers/decision-schema';

const fr: FulfillmentRequestSnapshot = {
  id: 900,
  fulfillmentRequestItems: [
    { id: 1, sku: 'A', quantity: 5 },
    { id: 2, sku: 'B', quantity: 4, acknowledgedQuantity: 1, canceledQuantity: 1 },
  ],
};

function issueOf(raw: unknown): DecisionValidationError {
  try {
    validateDecision(fr, raw);
  } catch (err) {
    expect(err).toBeInstanceOf(DecisionValidationError);
    return err as DecisionValidationError;
  }
  throw new Error(`expected ${JSON.stringify(raw)} to be rejected`);
}

describe('validateDecision', () => {
  it('accepts each valid kind and normalizes defaults', () => {
    expect(validateDecision(fr, { kind: 'accept', extra: 'ignored' })).toEqual({ kind: 'accept' });
    expect(
      validateDecision(fr, {
        kind: 'partial',
        items: [
          { id: 1, acknowledgedQuantity: 5 },
          { id: 2, acknowledgedQuantity: 0 },
        ],
      }),
    ).toEqual({
      kind: 'partial',
      items: [
        { id: 1, acknowledgedQuantity: 5 },
        { id: 2, acknowledgedQuantity: 0 },
      ],
      killOrFillType: 'fill',
    });
    expect(
      validateDecision(fr, { kind: 'reject', reason: '  discontinued  ', killOrFillType: 'kill' }),
    ).toEqual({
      kind: 'reject',
      reason: 'discontinued',
      killOrFillType: 'kill',
    });
    expect(validateDecision(fr, { kind: 'fail', reason: 'x'.repeat(500) })).toMatchObject({ kind: 'fail' });
  });

  it('open quantity excludes what is already acknowledged or cancelled', () => {
    expect(openQuantity(fr.fulfillmentRequestItems[0]!)).toBe(5);
    expect(openQuantity(fr.fulfillmentRequestItems[1]!)).toBe(2);
    expect(openQuantity({ id: 3, sku: 'C', quantity: 2, voidedQuantity: 2 })).toBe(0);
    expect(
      validateDecision(fr, { kind: 'partial', items: [{ id: 2, acknowledgedQuantity: 2 }] }),
    ).toMatchObject({
      kind: 'partial',
    });
  });

  it.each([
    [null, '(decision)', /JSON object/],
    ['accept', '(decision)', /JSON object/],
    [{}, 'kind', /one of "accept", "partial", "reject", "fail"/],
    [{ kind: 'maybe' }, 'kind', /one of/],
    [{ kind: 'reject', killOrFillType: 'fill' }, 'reason', /is required/],
    [{ kind: 'fail', reason: '   ' }, 'reason', /must not be empty/],
    [{ kind: 'fail', reason: 'x'.repeat(501) }, 'reason', /at most 500/],
    [{ kind: 'reject', reason: 'r', killOrFillType: 'cancel' }, 'killOrFillType', /"fill" or "kill"/],
    [{ kind: 'partial', items: [] }, 'items', /at least one item/],
    [{ kind: 'partial' }, 'items', /is required/],
    [
      { kind: 'partial', items: [{ id: 1, acknowledgedQuantity: -1 }] },
      'items[0].acknowledgedQuantity',
      /negative/,
    ],
    [
      { kind: 'partial', items: [{ id: 1, acknowledgedQuantity: 1.5 }] },
      'items[0].acknowledgedQuantity',
      /whole/,
    ],
    [
      { kind: 'partial', items: [{ id: 1, acknowledgedQuantity: '2' }] },
      'items[0].acknowledgedQuantity',
      /number/,
    ],
    [
      { kind: 'partial', items: [{ id: 77, acknowledgedQuantity: 1 }] },
      'items[0].id',
      /77 is not an item of FR 900 .*1, 2/,
    ],
    [
      { kind: 'partial', items: [{ id: 1, acknowledgedQuantity: 6 }] },
      'items[0].acknowledgedQuantity',
      /exceeds the open quantity 5/,
    ],
    [
      { kind: 'partial', items: [{ id: 2, acknowledgedQuantity: 3 }] },
      'items[0].acknowledgedQuantity',
      /open quantity 2 .*sku B/,
    ],
    [
      {
        kind: 'partial',
        items: [
          { id: 1, acknowledgedQuantity: 1 },
          { id: 1, acknowledgedQuantity: 1 },
        ],
      },
      'items[1].id',
      /listed twice/,
    ],
  ])('rejects %j naming %s', (raw, field, message) => {
    const err = issueOf(raw);
    expect(err.field).toBe(field);
    expect(err.name).toBe('DecisionValidationError');
    expect(err.message).toMatch(/^invalid handler decision for FR 900: /);
    expect(err.message).toContain(`${field}: `);
    expect(err.message).toMatch(message);
  });

  it('reports every problem of a partial decision at once', () => {
    const err = issueOf({
      kind: 'partial',
      items: [
        { id: 99, acknowledgedQuantity: 1 },
        { id: 1, acknowledgedQuantity: 9 },
      ],
    });
    expect(err.issues.map((i) => i.field)).toEqual(['items[0].id', 'items[1].acknowledgedQuantity']);
  });
});
