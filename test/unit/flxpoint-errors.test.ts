import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import {
  FlxpointError,
  classifyResponse,
  parseRetryAfter,
  toApplicationFailure,
  retryDelayMs,
  FR_CALL_BACKOFF,
  LIST_CALL_BACKOFF,
} from '../../activities/flxpoint/errors';

// The error taxonomy on its own: status + body text → kind, retryability, Retry-After, ApplicationFailure.

const at = { method: 'POST', path: '/fulfillment-requests/123/acknowledge' };

describe('classifyResponse', () => {
  it.each([
    [400, 'Fulfillment request 123 is already acknowledged', 'already_acknowledged', false],
    [400, 'Duplicate tracking number 1Z on fulfillment request 5', 'duplicate_tracking_number', false],
    [409, 'duplicate tracking number', 'duplicate_tracking_number', false],
    [400, 'Invalid status transition: fulfillment request 5 is Canceled', 'invalid_transition', false],
    [409, 'Only a fulfillment request in processing status Processing can ...', 'invalid_transition', false],
    [409, 'conflict', 'conflict', false],
    [400, 'quantity exceeds', 'bad_request', false],
    [405, '', 'bad_request', false],
    [401, '', 'unauthorized', false],
    [403, '', 'forbidden', false],
    [404, '', 'not_found', false],
    [408, '', 'timeout', true],
    [429, '', 'rate_limited', true],
    [500, '', 'server_error', true],
    [503, '<html>bad gateway</html>', 'server_error', true],
  ] as const)('%i %j → %s (retryable %s)', (status, body, kind, retryable) => {
    const e = classifyResponse({ status, body, ...at });
    expect(e.kind).toBe(kind);
    expect(e.retryable).toBe(retryable);
    expect(e.status).toBe(status);
  });

  it('writes a message that says where, what and what to do', () => {
    const e = classifyResponse({
      status: 400,
      body: 'Fulfillment request 123 is already acknowledged',
      ...at,
    });
    expect(e.message).toBe(
      'Flxpoint POST /fulfillment-requests/123/acknowledge answered 400 (already_acknowledged): Fulfillment request 123 is already acknowledged. ' +
        'This FR may have been acknowledged before (by an earlier attempt whose answer was lost, or by someone else); the words are a hint only: the workflow reads the FR to tell whose acknowledgement it is.',
    );
  });

  it('truncates long bodies and strips query strings from the path', () => {
    const e = classifyResponse({
      status: 500,
      body: 'x'.repeat(5000),
      method: 'PATCH',
      path: '/fulfillment-requests/1/processing-failed?error=secret',
    });
    expect(e.bodySnippet!.length).toBeLessThanOrEqual(301);
    expect(e.path).toBe('/fulfillment-requests/1/processing-failed');
    expect(e.message).not.toContain('secret');
  });

  it('reads Retry-After as seconds or HTTP-date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('garbage', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    const e = classifyResponse({ status: 429, retryAfter: '2', ...at });
    expect(e.retryAfterMs).toBe(2000);
  });
});

describe('toApplicationFailure', () => {
  it('keeps kind, retryability and a 429 delay', () => {
    const af = toApplicationFailure(classifyResponse({ status: 429, retryAfter: '4', ...at }));
    expect(af).toBeInstanceOf(ApplicationFailure);
    expect(af.type).toBe('Flxpoint.rate_limited');
    expect(af.nonRetryable).toBe(false);
    expect(af.nextRetryDelay).toBe(4000);
    expect(af.details).toEqual([{ kind: 'rate_limited', status: 429, method: 'POST', path: at.path }]);
    expect(af.message).toContain('POST /fulfillment-requests/123/acknowledge answered 429');
  });

  it('makes 4xx non-retryable and leaves the delay to the retry policy for other kinds', () => {
    const af = toApplicationFailure(classifyResponse({ status: 404, ...at }));
    expect(af.nonRetryable).toBe(true);
    expect(af.nextRetryDelay).toBeUndefined();
    const net = toApplicationFailure(new FlxpointError({ kind: 'network', method: 'GET', path: '/x' }));
    expect(net.nonRetryable).toBe(false);
    expect(net.type).toBe('Flxpoint.network');
  });

  it('jitters the retry of a transient failure within the policy (half fixed, half random), never a 4xx', () => {
    const net = new FlxpointError({ kind: 'server_error', status: 503, method: 'GET', path: '/x' });
    const delay = (attempt: number, r: number) =>
      toApplicationFailure(net, { attempt, backoff: FR_CALL_BACKOFF, random: () => r }).nextRetryDelay;
    expect([delay(1, 0), delay(1, 1), delay(3, 0.5), delay(20, 1)]).toEqual([1000, 2000, 6000, 120_000]);
    // Two retries of the same attempt do not move in step.
    const seen = new Set(Array.from({ length: 20 }, () => retryDelayMs(4, FR_CALL_BACKOFF)));
    expect(seen.size).toBeGreaterThan(1);
    for (const d of seen) {
      expect(d).toBeGreaterThanOrEqual(8000);
      expect(d).toBeLessThanOrEqual(16_000);
    }
    // The poller's list keeps its short policy.
    expect(retryDelayMs(10, LIST_CALL_BACKOFF, () => 1)).toBe(10_000);
    const refused = classifyResponse({ status: 409, ...at });
    expect(
      toApplicationFailure(refused, { attempt: 2, backoff: FR_CALL_BACKOFF }).nextRetryDelay,
    ).toBeUndefined();
    const limited = classifyResponse({ status: 429, retryAfter: '4', ...at });
    expect(toApplicationFailure(limited, { attempt: 2, backoff: FR_CALL_BACKOFF }).nextRetryDelay).toBe(4000);
  });

  it('wraps unknown errors as retryable Flxpoint.unexpected and passes ApplicationFailures through', () => {
    const af = toApplicationFailure(new Error('boom'));
    expect(af.type).toBe('Flxpoint.unexpected');
    expect(af.nonRetryable).toBe(false);
    const own = ApplicationFailure.nonRetryable('mine');
    expect(toApplicationFailure(own)).toBe(own);
  });
});
