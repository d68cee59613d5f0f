// Bounds how many shipments of one FR the intake delivers at once. Temporal refuses more than 10 updates in
// flight per workflow (and a burst on one FR only queues up inside it), so each intake replica lets a few
// through per FR, keeps a short queue behind them, and turns the rest away at once with "retry later":
// an overloaded FR costs the warehouse a retry, never a 500 or a 30-second wait.

export interface FrGateOptions {
  /** Deliveries to one FR at the same time, per intake replica (Temporal's limit is 10 per workflow). */
  maxInFlight: number;
  /** Requests waiting for a slot per FR; beyond that the gate refuses at once. */
  maxQueued: number;
  /** How long a queued request may wait for a slot before it is refused. */
  maxWaitMs: number;
}

/** The defaults: two replicas (deploy/k8s/intake.yaml) stay at 8 updates in flight per FR, below 10. */
export const FR_GATE_DEFAULTS: FrGateOptions = { maxInFlight: 4, maxQueued: 16, maxWaitMs: 10_000 };

/** Thrown by FrGate.run when the FR is too busy; the caller answers 503 with Retry-After. */
export class FrBusyError extends Error {}

interface Lane {
  inFlight: number;
  waiting: Array<() => void>;
}

export class FrGate {
  private readonly lanes = new Map<string, Lane>();

  constructor(private readonly opts: FrGateOptions = FR_GATE_DEFAULTS) {}

  /** Runs `fn` once `key` has a free slot; throws FrBusyError when the queue is full or the wait too long. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const lane = this.lanes.get(key) ?? { inFlight: 0, waiting: [] };
    this.lanes.set(key, lane);
    if (lane.inFlight >= this.opts.maxInFlight) await this.wait(key, lane);
    else lane.inFlight++;
    try {
      return await fn();
    } finally {
      this.release(key, lane);
    }
  }

  /** Requests in flight and queued for `key` (tests and logs). */
  load(key: string): { inFlight: number; queued: number } {
    const lane = this.lanes.get(key);
    return { inFlight: lane?.inFlight ?? 0, queued: lane?.waiting.length ?? 0 };
  }

  private wait(key: string, lane: Lane): Promise<void> {
    if (lane.waiting.length >= this.opts.maxQueued) {
      this.forgetIfIdle(key, lane);
      return Promise.reject(new FrBusyError(`${lane.inFlight} in flight and ${lane.waiting.length} queued`));
    }
    return new Promise<void>((resolve, reject) => {
      // The slot is handed over by release() (inFlight stays counted), or the wait times out.
      const take = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const i = lane.waiting.indexOf(take);
        if (i >= 0) lane.waiting.splice(i, 1);
        reject(new FrBusyError(`no slot within ${this.opts.maxWaitMs} ms`));
      }, this.opts.maxWaitMs);
      lane.waiting.push(take);
    });
  }

  private release(key: string, lane: Lane): void {
    const next = lane.waiting.shift();
    if (next) return next();
    lane.inFlight--;
    this.forgetIfIdle(key, lane);
  }

  private forgetIfIdle(key: string, lane: Lane): void {
    if (lane.inFlight === 0 && lane.waiting.length === 0) this.lanes.delete(key);
  }
}
