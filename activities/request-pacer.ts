// Spaces one source's Flxpoint requests at least 1/rate apart inside this worker process.
//
// Temporal's maxTaskQueueActivitiesPerSecond bounds the sustained rate across all replicas, but it is
// enforced per task-queue partition (four by default), so dispatches arrive in bursts of up to one per
// partition. Flxpoint's bucket is only known to refill at 2/s; measured against a strict bucket (burst 2),
// the Temporal limit alone drew 429s on 40% of requests, the two together drew none (docs/benchmarks.md).
// Waiting here is short: Temporal never hands this process more than the sustained rate.

export interface RequestPacer {
  /** Resolves when the caller may send its request. */
  take(): Promise<void>;
}

export function createRequestPacer(ratePerSec: number, now: () => number = Date.now): RequestPacer {
  const spacingMs = 1000 / ratePerSec;
  let nextSlot = 0;
  return {
    async take() {
      const t = now();
      const slot = Math.max(t, nextSlot);
      nextSlot = slot + spacingMs;
      if (slot > t) await new Promise((r) => setTimeout(r, slot - t));
    },
  };
}
