import { metricMeter } from '@temporalio/activity';
import type { FulfillmentRequestSnapshot } from '../common/domain';
import { checkSnapshotSize } from './fr-payload-size';

// List-fed FRs: Flxpoint's FR list already carries whole FRs (items, quantities, addresses), so the FR
// workflow need not GET each FR again right after the poll listed it. The list activity keeps each complete,
// waiting element here; the FR workflow's first read asks for it with an activity on the pipeline queue (no
// Flxpoint request, no slot of the source's rate-limited queue) and only on a miss GETs the FR.
//
// In memory, per worker process, bounded and short-lived on purpose: a miss (another replica ran the list,
// the worker restarted, the entry expired) costs exactly what every FR cost before, one GET. The TTL bounds
// how stale a first read may be; decisions that need Flxpoint's current state read it fresh anyway.

export interface FrSnapshotCacheOptions {
  /** How long a listed FR may stand in for a fresh read. Default 2 minutes. */
  ttlMs?: number;
  /** Entries kept at most (oldest dropped first). Default 5000, about one poll's maximum. */
  maxEntries?: number;
  now?: () => number;
}

export class FrSnapshotCache {
  readonly #entries = new Map<string, { fr: FulfillmentRequestSnapshot; expires: number }>();
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;
  hits = 0;
  misses = 0;

  constructor(opts: FrSnapshotCacheOptions = {}) {
    this.#ttlMs = opts.ttlMs ?? 120_000;
    this.#max = opts.maxEntries ?? 5000;
    this.#now = opts.now ?? Date.now;
  }

  put(sourceId: number, fr: FulfillmentRequestSnapshot): void {
    const key = `${sourceId}:${fr.id}`;
    this.#entries.delete(key); // re-inserted last: the Map's order is the eviction order
    this.#entries.set(key, { fr, expires: this.#now() + this.#ttlMs });
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  /** The listed FR, once: a later read (a retry, a second FR workflow run) goes to Flxpoint. */
  take(sourceId: number, frId: number): FulfillmentRequestSnapshot | null {
    const key = `${sourceId}:${frId}`;
    const e = this.#entries.get(key);
    this.#entries.delete(key);
    if (!e || e.expires < this.#now()) {
      this.misses++;
      return null;
    }
    this.hits++;
    return e.fr;
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** The activity the FR workflow calls on the pipeline queue before it would GET the FR. */
export function createFrSnapshotActivities(cache: FrSnapshotCache) {
  return {
    /** The FR as the poll listed it moments ago, or null (then the workflow reads it from Flxpoint). */
    async listedFulfillmentRequest(input: {
      sourceId: number;
      frId: number;
    }): Promise<FulfillmentRequestSnapshot | null> {
      const fr = cache.take(input.sourceId, input.frId);
      // Hits save one GET each; a steady miss rate means the list and the FR workflows run on different
      // replicas, or the entries expire before the workflows read them (docs/operations.md).
      metricMeter
        .createCounter(
          'flxpoint_listed_fr_cache',
          'reads',
          'First reads of an FR served from the list (hit) or not (miss)',
        )
        .add(1, { result: fr ? 'hit' : 'miss' });
      // Too large to return through Temporal: refused here as the GET would refuse it (no request spent).
      if (fr) checkSnapshotSize(fr);
      return fr;
    },
  };
}

export type FrSnapshotActivities = ReturnType<typeof createFrSnapshotActivities>;
