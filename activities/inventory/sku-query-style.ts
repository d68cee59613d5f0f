import type { ArrayQueryStyle } from '../flxpoint/client';

// How Flxpoint reads a list of SKUs in `GET /inventory/variants?skus=` is not documented: `skus=a,b` or
// `skus=a&skus=b`. A server that reads the other form does not fail: it looks for one SKU called "a,b" (or
// only for "a") and answers 200 with fewer variants, so every SKU would look unknown to Flxpoint and never be
// pushed. The form is therefore learned from Flxpoint's answers, not trusted: a lookup of several SKUs that
// finds two or more confirms the form in use; until then, a lookup that leaves two or more SKUs unknown asks
// for those again in the other form, and switches when that finds any. Probing stops after a few tries
// without an answer either way (a catalog Flxpoint does not know at all), so it costs a few GETs at most.

const MAX_PROBES = 3;

export interface SkuLookupRound {
  style: ArrayQueryStyle;
  skus: string[];
}

export class SkuQueryStyle {
  #style: ArrayQueryStyle;
  #confirmed = false;
  #probes = 0;
  #probing: Promise<void> | undefined;

  constructor(
    start: ArrayQueryStyle = 'comma',
    private readonly onSwitch: (from: ArrayQueryStyle, to: ArrayQueryStyle) => void = () => {},
  ) {
    this.#style = start;
  }

  get style(): ArrayQueryStyle {
    return this.#style;
  }

  get confirmed(): boolean {
    return this.#confirmed;
  }

  /**
   * Looks `skus` up through `lookUp` (one request per call), in the form learned so far, and once more in the
   * other form when the answer says the server may read lists differently. Returns what was found and how
   * many requests it took.
   */
  async lookUp<T extends { sku: string }>(
    skus: readonly string[],
    lookUp: (skus: string[], style: ArrayQueryStyle) => Promise<T[]>,
  ): Promise<{ found: T[]; requests: number }> {
    const style = this.#style;
    const found = await lookUp([...skus], style);
    if (found.length >= 2) this.#confirmed = true;
    const have = new Set(found.map((f) => f.sku));
    const missing = skus.filter((s) => !have.has(s));
    const more = async (style: ArrayQueryStyle) =>
      (await lookUp(missing, style)).filter((f) => !have.has(f.sku));
    // Lookups run side by side: one probes, the others wait for its answer instead of probing too.
    if (missing.length >= 2 && !this.#confirmed && this.#probing) await this.#probing;
    if (missing.length > 0 && this.#style !== style) {
      // Another lookup learned the other form while this one asked in the old one: ask again in the new.
      return { found: [...found, ...(await more(this.#style))], requests: 2 };
    }
    if (this.#confirmed || missing.length < 2 || this.#probes >= MAX_PROBES) return { found, requests: 1 };
    this.#probes++;
    const other: ArrayQueryStyle = style === 'comma' ? 'repeat' : 'comma';
    let done = () => {};
    this.#probing = new Promise<void>((resolve) => (done = resolve));
    try {
      const extra = await more(other);
      if (extra.length > 0) {
        this.#style = other;
        if (extra.length >= 2) this.#confirmed = true;
        this.onSwitch(style, other);
      }
      return { found: [...found, ...extra], requests: 2 };
    } finally {
      this.#probing = undefined;
      done();
    }
  }
}
