// Token bucket per API token: Flxpoint gives each token its own 2 req/s budget and does not share buckets.
// Reconfigurable at run time (tests tighten or lift it mid-run); buckets refill lazily on each request.

export interface RateLimitConfig {
  enabled: boolean;
  /** Sustained requests per second per token. */
  ratePerSec: number;
  /** Bucket capacity: how many requests may arrive back to back. */
  burst: number;
  /** How a 429 says when to come back: delta seconds, an HTTP-date, or not at all (undocumented upstream). */
  retryAfter: 'seconds' | 'http-date' | 'none';
}

export const DEFAULT_RATE_LIMIT: RateLimitConfig = {
  enabled: true,
  ratePerSec: 2,
  burst: 2,
  retryAfter: 'seconds',
};

export type RateDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class RateLimiter {
  private cfg: RateLimitConfig;
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    cfg: Partial<RateLimitConfig> = {},
    private readonly now: () => number = () => performance.now(),
  ) {
    this.cfg = validateRateLimit({ ...DEFAULT_RATE_LIMIT, ...cfg });
  }

  get config(): RateLimitConfig {
    return { ...this.cfg };
  }

  /** Changes take effect at once; existing buckets keep their level, capped to the new burst. */
  configure(patch: Partial<RateLimitConfig>): RateLimitConfig {
    this.cfg = validateRateLimit({ ...this.cfg, ...patch });
    for (const b of this.buckets.values()) b.tokens = Math.min(b.tokens, this.cfg.burst);
    return this.config;
  }

  reset(): void {
    this.buckets.clear();
  }

  take(key: string): RateDecision {
    if (!this.cfg.enabled) return { allowed: true };
    const t = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: this.cfg.burst, updatedAt: t };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.cfg.burst, b.tokens + ((t - b.updatedAt) / 1000) * this.cfg.ratePerSec);
      b.updatedAt = t;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterMs: Math.ceil(((1 - b.tokens) / this.cfg.ratePerSec) * 1000) };
  }
}

export function validateRateLimit(c: RateLimitConfig): RateLimitConfig {
  if (!(c.ratePerSec > 0) || !Number.isFinite(c.ratePerSec))
    throw new RangeError(`ratePerSec must be > 0, got ${c.ratePerSec}`);
  if (!(c.burst >= 1) || !Number.isFinite(c.burst))
    throw new RangeError(`burst must be >= 1, got ${c.burst}`);
  if (!['seconds', 'http-date', 'none'].includes(c.retryAfter)) {
    throw new RangeError(`retryAfter must be seconds, http-date or none, got ${String(c.retryAfter)}`);
  }
  return { enabled: Boolean(c.enabled), ratePerSec: c.ratePerSec, burst: c.burst, retryAfter: c.retryAfter };
}
