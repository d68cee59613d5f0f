import { createHash } from 'node:crypto';
import { Counters, type CountersSnapshot } from './counters';
import { FaultInjector, type FaultConfig } from './faults';
import { FrStore, type SeedOptions } from './fr-store';
import { InventoryStore, type InventorySeed } from './inventory-store';
import { FrGenerator, type GeneratorOptions, type GeneratorStatus } from './generator';
import { type SimFr, type SimFrMeta } from './model';
import {
  DEFAULT_BEHAVIOR,
  DEFAULT_TOKENS,
  type SimulatorBehavior,
  type SimulatorOptions,
  validateBehavior,
} from './options';
import { DEFAULT_RATE_LIMIT, RateLimiter, type RateLimitConfig } from './rate-limiter';
import { Rng } from './rng';

// Everything the simulator knows and every operation on it, in process. The admin HTTP API is a thin mapping
// onto this class, so tests in the same process and tools in another one drive exactly the same code.

/** Stable, non-reversible label for a token in counters: tokens never appear in admin output or logs. */
export function tokenFingerprint(token: string): string {
  return `tok_${createHash('sha256').update(token).digest('hex').slice(0, 8)}`;
}

export interface FrView {
  fr: SimFr;
  meta: SimFrMeta;
}

export class SimulatorState {
  store!: FrStore;
  inventory!: InventoryStore;
  readonly counters = new Counters();
  readonly rateLimiter: RateLimiter;
  readonly faults: FaultInjector;
  /** Token → sourceId. */
  readonly tokens: ReadonlyMap<string, number>;
  private behaviorNow!: SimulatorBehavior;
  private readonly generator: FrGenerator;
  private readonly randomSeed: number;
  /** Draws the `random` error wording: its own stream, so the wording never shifts faults or data. */
  private readonly wordingRng: Rng;

  constructor(private readonly opts: SimulatorOptions = {}) {
    this.tokens = new Map(Object.entries(opts.tokens ?? DEFAULT_TOKENS));
    if (this.tokens.size === 0) throw new RangeError('at least one token is required');
    for (const [, source] of this.tokens) {
      if (!Number.isSafeInteger(source) || source <= 0)
        throw new RangeError(`sourceId must be a positive integer, got ${source}`);
    }
    this.randomSeed = opts.randomSeed ?? 1;
    this.wordingRng = new Rng(this.randomSeed ^ 0x5eed);
    this.rateLimiter = new RateLimiter(opts.rateLimit);
    this.faults = new FaultInjector(opts.faults ?? { rules: {} }, this.randomSeed);
    this.generator = new FrGenerator((o) => {
      this.store.createFr(o);
      this.counters.generated(1);
    });
    this.init();
  }

  /** Fresh store and behaviour as configured at start, then the start seed. */
  private init(): void {
    this.behaviorNow = validateBehavior({ ...DEFAULT_BEHAVIOR, ...pickBehavior(this.opts) });
    this.store = new FrStore({
      rng: new Rng(this.randomSeed),
      defaultSourceId: this.tokens.values().next().value!,
      sourceCancelsUnacknowledged: this.behaviorNow.sourceCancelsUnacknowledged,
      ...(this.opts.firstFrId !== undefined ? { firstFrId: this.opts.firstFrId } : {}),
    });
    const seeds =
      this.opts.seed === undefined ? [] : Array.isArray(this.opts.seed) ? this.opts.seed : [this.opts.seed];
    for (const s of seeds) this.seed(s);
    this.inventory = new InventoryStore();
    const catalog =
      this.opts.inventory === undefined
        ? []
        : Array.isArray(this.opts.inventory)
          ? this.opts.inventory
          : [this.opts.inventory];
    for (const c of catalog) this.inventory.seed(c);
  }

  /** Adds a catalog (one parent and one variant per SKU); returns the number of variants held. */
  seedInventory(o: InventorySeed): number {
    return this.inventory.seed(o);
  }

  get behavior(): Readonly<SimulatorBehavior> {
    return this.behaviorNow;
  }

  /**
   * A 4xx body in `random` wording mode: one of several phrases that name no reason a client could match
   * on (never "already acknowledged", "duplicate", "transition"), with a code that changes per answer.
   */
  errorPhrase(): string {
    const code = this.wordingRng.int(1000, 9999);
    const phrases = [
      `Request rejected (code E${code})`,
      'The operation could not be completed for this record',
      `Validation error, see the API documentation (ref ${code.toString(16)})`,
      'Bad Request',
      'Conflict with the current data of the resource',
      `Unable to process request [${code}]`,
      '',
    ];
    return phrases[this.wordingRng.int(0, phrases.length - 1)]!;
  }

  sourceOf(token: string | undefined): number | undefined {
    return token === undefined ? undefined : this.tokens.get(token);
  }

  // ---- data ----

  seed(o: SeedOptions): number[] {
    validateSeed(o);
    return this.store.seed(o);
  }

  startGenerator(o: GeneratorOptions): GeneratorStatus {
    validateSeed({ ...o, count: 0 });
    this.generator.start(o);
    return this.generator.status();
  }

  stopGenerator(): GeneratorStatus {
    this.generator.stop();
    return this.generator.status();
  }

  generatorStatus(): GeneratorStatus {
    return this.generator.status();
  }

  getFr(id: number): FrView | undefined {
    const fr = this.store.peek(id);
    return fr ? { fr, meta: this.store.peekMeta(id)! } : undefined;
  }

  /** Flxpoint-side cancellation (an operator or the channel cancelled the order). */
  cancel(id: number, reason?: string): SimFr {
    return this.store.cancel(id, reason);
  }

  void(id: number, reason?: string): SimFr {
    return this.store.void(id, reason);
  }

  /** Someone other than the integration acknowledges (UI user, second integration). */
  acknowledgeAsSomeoneElse(id: number): SimFr {
    const fr = this.store.acknowledgeAsSomeoneElse(id);
    this.counters.inc('acksBySomeoneElse', id);
    return fr;
  }

  // ---- behaviour, faults, rate limit ----

  setBehavior(patch: Partial<SimulatorBehavior>): SimulatorBehavior {
    this.behaviorNow = validateBehavior({ ...this.behaviorNow, ...patch });
    return this.behaviorNow;
  }

  setFaults(cfg: FaultConfig): FaultConfig {
    this.faults.set(cfg);
    return this.faults.config;
  }

  clearFaults(): void {
    this.faults.clear();
  }

  setRateLimit(patch: Partial<RateLimitConfig>): RateLimitConfig {
    return this.rateLimiter.configure(patch);
  }

  get rateLimit(): RateLimitConfig {
    return this.rateLimiter.config;
  }

  // ---- observation ----

  snapshotCounters(): CountersSnapshot {
    return this.counters.snapshot();
  }

  resetCounters(): void {
    this.counters.reset();
  }

  /**
   * Back to the state right after start: FR ids restart at 1, counters zero, start seed applied again, faults,
   * rate limit and behaviour as configured at start, generator stopped.
   */
  reset(): void {
    this.generator.stop();
    this.counters.reset();
    this.faults.set({
      rules: this.opts.faults?.rules ?? {},
      seed: this.opts.faults?.seed ?? this.randomSeed,
    });
    this.rateLimiter.reset();
    this.rateLimiter.configure({ ...DEFAULT_RATE_LIMIT, ...this.opts.rateLimit });
    this.init();
  }

  close(): void {
    this.generator.stop();
  }
}

function pickBehavior(o: SimulatorOptions): Partial<SimulatorBehavior> {
  const out: Partial<SimulatorBehavior> = {};
  if (o.listEnvelope !== undefined) out.listEnvelope = o.listEnvelope;
  if (o.acknowledgeMethods !== undefined) out.acknowledgeMethods = o.acknowledgeMethods;
  if (o.allowDuplicateTrackingNumbers !== undefined)
    out.allowDuplicateTrackingNumbers = o.allowDuplicateTrackingNumbers;
  if (o.duplicateTrackingStatus !== undefined) out.duplicateTrackingStatus = o.duplicateTrackingStatus;
  if (o.sourceCancelsUnacknowledged !== undefined)
    out.sourceCancelsUnacknowledged = o.sourceCancelsUnacknowledged;
  if (o.listDialects !== undefined) out.listDialects = o.listDialects;
  if (o.errorWording !== undefined) out.errorWording = o.errorWording;
  if (o.inventoryModifyDefault !== undefined) out.inventoryModifyDefault = o.inventoryModifyDefault;
  if (o.inventoryPutResponse !== undefined) out.inventoryPutResponse = o.inventoryPutResponse;
  if (o.arrayQueryForm !== undefined) out.arrayQueryForm = o.arrayQueryForm;
  return out;
}

/** Bounds keep a typo (`count: 1e9`) from eating the machine. */
export function validateSeed(o: SeedOptions): void {
  const intIn = (name: string, v: number | undefined, min: number, max: number) => {
    if (v === undefined) return;
    if (!Number.isInteger(v) || v < min || v > max)
      throw new RangeError(`${name} must be an integer in ${min}..${max}, got ${v}`);
  };
  intIn('count', o.count, 0, 1_000_000);
  intIn('itemsPerFr', o.itemsPerFr, 1, 100);
  intIn('sourceId', o.sourceId, 1, Number.MAX_SAFE_INTEGER);
  intIn('quantity.min', o.quantity?.min, 1, 10_000);
  intIn('quantity.max', o.quantity?.max, 1, 10_000);
  if (o.quantity && o.quantity.min > o.quantity.max)
    throw new RangeError('quantity.min must be <= quantity.max');
  if (o.status !== undefined && !['processing', 'processed', 'unprocessed'].includes(o.status)) {
    throw new RangeError('status must be processing, processed or unprocessed');
  }
}
