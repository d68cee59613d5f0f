// Change timestamps for the simulated API. Strictly increasing (at least 1 ms apart) so that a client advancing
// a `GET /orders` cursor to the max timestamp seen can never skip a change made in the same millisecond.

export class MonotonicClock {
  private last = 0;

  nowMs(): number {
    const t = Math.max(Date.now(), this.last + 1);
    this.last = t;
    return t;
  }

  nowIso(): string {
    return new Date(this.nowMs()).toISOString();
  }
}
