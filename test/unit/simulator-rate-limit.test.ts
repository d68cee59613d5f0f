import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter } from '../../simulator/rate-limiter';
import { type RunningSimulator, startSimulator } from '../../simulator/server';

// Per-token token bucket: a burst over 2 req/s gets 429s, a client paced at 2 req/s gets none, buckets are
// not shared between tokens. Timing is only used to pace, never asserted.

let sim: RunningSimulator;

async function status(token: string): Promise<{ status: number; retryAfter: unknown }> {
  const res = await request(`${sim.url}/fulfillment-requests/count?status=NEW`, {
    headers: { 'x-api-token': token },
  });
  await res.body.text();
  return { status: res.statusCode, retryAfter: res.headers['retry-after'] };
}

beforeAll(async () => {
  sim = await startSimulator({ rateLimit: { enabled: true, ratePerSec: 2, burst: 2 } });
});
afterAll(() => sim.close());

describe('rate limiter', () => {
  it('answers 429 with Retry-After to a burst beyond the bucket, per token', async () => {
    sim.state.reset();
    const burst = await Promise.all(Array.from({ length: 8 }, () => status('dev-token')));
    const limited = burst.filter((r) => r.status === 429);
    expect(burst.filter((r) => r.status === 200).length).toBeLessThanOrEqual(3);
    expect(limited.length).toBeGreaterThanOrEqual(5);
    expect(Number(limited[0]!.retryAfter)).toBeGreaterThanOrEqual(1);
    // The other token has its own bucket.
    expect((await status('dev-token-2')).status).toBe(200);
    const c = sim.state.snapshotCounters();
    expect(c.tooManyRequests).toBe(limited.length);
    expect(Object.values(c.rateLimitedByToken)).toEqual([limited.length]);
  });

  it('never limits a client paced at 2 req/s', async () => {
    sim.state.reset();
    for (let i = 0; i < 8; i++) {
      expect((await status('dev-token')).status).toBe(200);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(sim.state.snapshotCounters().tooManyRequests).toBe(0);
  });

  it('can omit Retry-After, be reconfigured and be switched off at run time', async () => {
    sim.state.reset();
    sim.state.setRateLimit({ burst: 1, retryAfter: 'none' });
    await status('dev-token');
    const limited = await status('dev-token');
    expect(limited.status).toBe(429);
    expect(limited.retryAfter).toBeUndefined();
    sim.state.setRateLimit({ enabled: false });
    for (let i = 0; i < 20; i++) expect((await status('dev-token')).status).toBe(200);
    expect(() => sim.state.setRateLimit({ ratePerSec: 0 })).toThrow(RangeError);
  });

  it('refills at the configured rate (bucket arithmetic with an injected clock)', () => {
    let now = 0;
    const rl = new RateLimiter({ ratePerSec: 2, burst: 2 }, () => now);
    expect(rl.take('t').allowed).toBe(true);
    expect(rl.take('t').allowed).toBe(true);
    const denied = rl.take('t');
    expect(denied).toEqual({ allowed: false, retryAfterMs: 500 });
    now = 499;
    expect(rl.take('t').allowed).toBe(false);
    now = 1000;
    expect(rl.take('t').allowed).toBe(true);
    expect(rl.take('t').allowed).toBe(true);
    expect(rl.take('t').allowed).toBe(false);
  });
});
