import { describe, expect, it } from 'vitest';
import { flxpointFailureType, flxpointKindOf, HANDLER_REJECTED } from '../../common/failure-types';
import { normalizeShipment, SHIPMENT_LIMITS } from '../../common/shipment';

describe('normalizeShipment (common/shipment.ts)', () => {
  it('trims text, drops empty optional fields and unknown keys', () => {
    expect(
      normalizeShipment({
        trackingNumber: '  1Z9  ',
        carrier: ' UPS ',
        method: '   ',
        shippedAt: '2026-11-24T10:00:00Z',
        trackingUrl: 'https://ups.example/1Z9',
        items: [{ id: 1, quantity: 2 }],
        sourceId: 1001,
      }),
    ).toEqual({
      ok: true,
      shipment: {
        trackingNumber: '1Z9',
        carrier: 'UPS',
        shippedAt: '2026-11-24T10:00:00Z',
        trackingUrl: 'https://ups.example/1Z9',
        items: [{ id: 1, quantity: 2 }],
      },
    });
  });

  it('lists every problem at once', () => {
    const r = normalizeShipment({
      trackingNumber: 'x'.repeat(SHIPMENT_LIMITS.trackingNumber + 1),
      carrier: 'c'.repeat(201),
      trackingUrl: 'javascript:alert(1)',
      shippedAt: 'yesterday',
      items: [
        { id: 0, quantity: 1 },
        { id: 2, quantity: 1.5 },
      ],
    });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems).toEqual([
      'trackingNumber: at most 100 characters',
      'carrier: at most 200 characters',
      'trackingUrl must be an http(s) URL',
      'shippedAt "yesterday" is not an ISO 8601 date-time',
      'items[0].id must be a positive integer (an FR item id)',
      'items[1].quantity must be a positive integer',
    ]);
  });

  it.each([null, [], 'TN', { items: [{ id: 1, quantity: 1 }] }, { trackingNumber: 'T', items: [] }])(
    'refuses %j',
    (raw) => expect(normalizeShipment(raw).ok).toBe(false),
  );

  it.each(['ftp://x/y', 'JAVASCRIPT:alert(1)', 'data:text/html,x', 'https://', 'http://a b'])(
    'refuses the tracking URL %s',
    (trackingUrl) =>
      expect(
        normalizeShipment({ trackingNumber: 'T', trackingUrl, items: [{ id: 1, quantity: 1 }] }).ok,
      ).toBe(false),
  );
});

describe('failure types (common/failure-types.ts)', () => {
  it('round-trips Flxpoint kinds and tells other types apart', () => {
    expect(flxpointFailureType('not_found')).toBe('Flxpoint.not_found');
    expect(flxpointKindOf('Flxpoint.invalid_transition')).toBe('invalid_transition');
    expect(flxpointKindOf(HANDLER_REJECTED)).toBeUndefined();
    expect(flxpointKindOf(undefined)).toBeUndefined();
  });
});
