import { type SeedOptions } from './fr-store';

// Continuous FR arrival ("orders keep coming in"), for soak tests and the quickstart. A fractional accumulator
// turns any rate into whole FRs per tick; the timer is unref'd so it never keeps a process alive.

export interface GeneratorOptions extends Omit<SeedOptions, 'count'> {
  ratePerSec: number;
  /** Stop after this many FRs (unbounded when absent). */
  maxCount?: number;
}

export interface GeneratorStatus {
  running: boolean;
  generated: number;
  options?: GeneratorOptions;
}

const TICK_MS = 50;

export class FrGenerator {
  private timer: NodeJS.Timeout | undefined;
  private opts: GeneratorOptions | undefined;
  private due = 0;
  private generated = 0;

  constructor(private readonly create: (o: Omit<SeedOptions, 'count'>) => void) {}

  start(o: GeneratorOptions): void {
    if (!(o.ratePerSec > 0) || !Number.isFinite(o.ratePerSec))
      throw new RangeError('generator ratePerSec must be > 0');
    if (o.maxCount !== undefined && !(o.maxCount >= 0))
      throw new RangeError('generator maxCount must be >= 0');
    this.stop();
    this.opts = { ...o };
    this.due = 0;
    this.generated = 0;
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  status(): GeneratorStatus {
    return {
      running: this.timer !== undefined,
      generated: this.generated,
      ...(this.opts ? { options: { ...this.opts } } : {}),
    };
  }

  private tick(): void {
    const o = this.opts;
    if (!o) return;
    this.due += (o.ratePerSec * TICK_MS) / 1000;
    const { ratePerSec: _r, maxCount, ...seed } = o;
    while (this.due >= 1) {
      if (maxCount !== undefined && this.generated >= maxCount) {
        this.stop();
        return;
      }
      this.due -= 1;
      this.generated++;
      this.create(seed);
    }
  }
}
