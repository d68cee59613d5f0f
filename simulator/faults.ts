import { type Endpoint, isEndpoint } from './endpoints';
import { Rng } from './rng';

// Fault injection: per endpoint (or '*' for all) a fraction of requests misbehave. Draws come from their own
// seeded RNG so a test that sets a seed sees the same faults on the same request sequence every run.

export interface FaultRule {
  /** Fraction answered 5xx before anything happens. */
  error5xx?: number;
  /** Status for error5xx, default 503. */
  status5xx?: number;
  /** Fraction answered 429 regardless of the rate limiter (a server-side limit the client cannot predict). */
  rateLimit429?: number;
  /** Delay before handling, in ms; applies to the `slow` fraction (default: every request). */
  slowMs?: number;
  slow?: number;
  /** Fraction whose socket is destroyed before the request is handled: nothing happened. */
  drop?: number;
  /** Fraction handled, then the socket destroyed: it happened but the client cannot know (lost response). */
  dropAfter?: number;
  /**
   * Fraction handled, then answered 5xx (status5xx, default 503) instead of the real answer: the state changed
   * but the client is told it failed, as a gateway that times out on a slow backend does.
   */
  error5xxAfter?: number;
  /** Fraction handled, then the JSON body cut in half. */
  truncate?: number;
  /** Fraction handled, then one FR in the body made schema-breaking (an item quantity becomes a string). */
  schemaBreak?: number;
  /** Inventory writes: fraction of *items* that fail inside a 2xx answer (per-item result, success false). */
  itemFailure?: number;
}

export type FaultRules = Partial<Record<Endpoint | '*', FaultRule>>;

export interface FaultConfig {
  seed?: number;
  rules: FaultRules;
}

export interface FaultPlan {
  delayMs: number;
  before?: { kind: 'error5xx'; status: number } | { kind: 'rateLimit429' } | { kind: 'drop' };
  after?: 'dropAfter' | 'error5xxAfter' | 'truncate' | 'schemaBreak';
  /** Status for an `error5xxAfter`. */
  afterStatus?: number;
}

const FRACTIONS = [
  'error5xx',
  'rateLimit429',
  'slow',
  'drop',
  'dropAfter',
  'error5xxAfter',
  'truncate',
  'schemaBreak',
  'itemFailure',
] as const;

export class FaultInjector {
  private rules: FaultRules = {};
  private rng: Rng;

  constructor(cfg: FaultConfig = { rules: {} }, defaultSeed = 1) {
    this.rng = new Rng(cfg.seed ?? defaultSeed);
    this.rules = validateFaultRules(cfg.rules);
  }

  get config(): FaultConfig {
    return { rules: structuredClone(this.rules) };
  }

  /** Replaces every rule; a seed restarts the fault sequence. */
  set(cfg: FaultConfig): void {
    this.rules = validateFaultRules(cfg.rules);
    if (cfg.seed !== undefined) this.rng = new Rng(cfg.seed);
  }

  clear(): void {
    this.rules = {};
  }

  plan(endpoint: Endpoint): FaultPlan {
    const all = this.rules['*'];
    const own = this.rules[endpoint];
    if (!all && !own) return { delayMs: 0 };
    const r: FaultRule = { ...all, ...own };
    const plan: FaultPlan = { delayMs: 0 };
    if (r.slowMs && r.slowMs > 0 && this.rng.chance(r.slow ?? 1)) plan.delayMs = r.slowMs;
    if (this.rng.chance(r.drop ?? 0)) plan.before = { kind: 'drop' };
    else if (this.rng.chance(r.error5xx ?? 0)) plan.before = { kind: 'error5xx', status: r.status5xx ?? 503 };
    else if (this.rng.chance(r.rateLimit429 ?? 0)) plan.before = { kind: 'rateLimit429' };
    else if (this.rng.chance(r.dropAfter ?? 0)) plan.after = 'dropAfter';
    else if (this.rng.chance(r.error5xxAfter ?? 0)) {
      plan.after = 'error5xxAfter';
      plan.afterStatus = r.status5xx ?? 503;
    } else if (this.rng.chance(r.truncate ?? 0)) plan.after = 'truncate';
    else if (this.rng.chance(r.schemaBreak ?? 0)) plan.after = 'schemaBreak';
    return plan;
  }

  /** One draw per item of an inventory write: does this item fail inside the 2xx? */
  itemFails(endpoint: Endpoint): boolean {
    const p = this.rules[endpoint]?.itemFailure ?? this.rules['*']?.itemFailure ?? 0;
    return p > 0 && this.rng.chance(p);
  }

  /** Deterministic pick (e.g. which FR of a page to break). */
  index(n: number): number {
    return n <= 1 ? 0 : this.rng.int(0, n - 1);
  }
}

export function validateFaultRules(rules: unknown): FaultRules {
  if (rules === null || typeof rules !== 'object' || Array.isArray(rules))
    throw new RangeError('faults.rules must be an object');
  const out: FaultRules = {};
  for (const [key, rule] of Object.entries(rules)) {
    if (key !== '*' && !isEndpoint(key)) throw new RangeError(`unknown fault endpoint ${key}`);
    if (rule === null || typeof rule !== 'object')
      throw new RangeError(`faults.rules.${key} must be an object`);
    const r = rule as Record<string, unknown>;
    for (const [f, v] of Object.entries(r)) {
      if ((FRACTIONS as readonly string[]).includes(f)) {
        if (typeof v !== 'number' || !(v >= 0 && v <= 1))
          throw new RangeError(`faults.rules.${key}.${f} must be a fraction 0..1`);
      } else if (f === 'slowMs') {
        if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v))
          throw new RangeError(`faults.rules.${key}.slowMs must be >= 0`);
      } else if (f === 'status5xx') {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 500 || v > 599)
          throw new RangeError(`faults.rules.${key}.status5xx must be 500..599`);
      } else {
        throw new RangeError(`unknown fault field ${key}.${f}`);
      }
    }
    out[key as Endpoint | '*'] = { ...(r as FaultRule) };
  }
  return out;
}
