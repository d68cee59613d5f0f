import { describe, expect, it } from 'vitest';
import type { ArrayQueryStyle } from '../../activities/flxpoint/client';
import { SkuQueryStyle } from '../../activities/inventory/sku-query-style';

// The SKU list form of GET /inventory/variants is learned from Flxpoint's answers. A fake server with a
// catalog reads lists the way `serverForm` says (as the simulator's arrayQueryForm does over HTTP).

type Form = 'both' | 'comma' | 'repeat';
const catalog = new Set(Array.from({ length: 20 }, (_, i) => `S-${i}`));

function server(serverForm: Form) {
  const asked: ArrayQueryStyle[] = [];
  const lookUp = async (skus: string[], style: ArrayQueryStyle) => {
    asked.push(style);
    // What the server understands the request asked for.
    const read =
      serverForm === 'both' || serverForm === style
        ? skus
        : serverForm === 'repeat'
          ? [skus.join(',')] // one SKU called "a,b,…"
          : skus.slice(0, 1); // a comma server reads the first repeated value only
    return read.filter((s) => catalog.has(s)).map((sku) => ({ sku }));
  };
  return { lookUp, asked };
}

describe('SkuQueryStyle', () => {
  it('keeps its form when the server reads it: one request per lookup, confirmed at once', async () => {
    const s = new SkuQueryStyle('comma');
    const srv = server('both');
    const r = await s.lookUp(['S-1', 'S-2', 'NOPE'], srv.lookUp);
    expect(r).toEqual({ found: [{ sku: 'S-1' }, { sku: 'S-2' }], requests: 1 });
    expect(s.confirmed).toBe(true);
    // Confirmed: unknown SKUs later cost no second request.
    expect((await s.lookUp(['NOPE-1', 'NOPE-2'], srv.lookUp)).requests).toBe(1);
  });

  for (const [start, serverForm] of [
    ['comma', 'repeat'],
    ['repeat', 'comma'],
  ] as const) {
    it(`starting with ${start} against a server that reads only ${serverForm}: switches after one lookup, loses no SKU`, async () => {
      const switches: string[] = [];
      const s = new SkuQueryStyle(start, (from, to) => switches.push(`${from}->${to}`));
      const srv = server(serverForm);
      const first = await s.lookUp(['S-1', 'S-2', 'S-3', 'NOPE'], srv.lookUp);
      expect(first.found.map((f) => f.sku).sort()).toEqual(['S-1', 'S-2', 'S-3']);
      expect(first.requests).toBe(2);
      expect(switches).toEqual([`${start}->${serverForm}`]);
      expect(s.style).toBe(serverForm);
      expect(s.confirmed).toBe(true);
      const next = await s.lookUp(['S-4', 'S-5'], srv.lookUp);
      expect(next).toEqual({ found: [{ sku: 'S-4' }, { sku: 'S-5' }], requests: 1 });
      expect(srv.asked.at(-1)).toBe(serverForm);
    });
  }

  it('a catalog Flxpoint does not know at all costs a few extra requests, not one per lookup forever', async () => {
    const s = new SkuQueryStyle('comma');
    const srv = server('both');
    let requests = 0;
    for (let i = 0; i < 10; i++) requests += (await s.lookUp([`X-${i}a`, `X-${i}b`], srv.lookUp)).requests;
    expect(requests).toBe(10 + 3);
    expect(s.style).toBe('comma');
  });

  it('a single SKU is never probed (nothing to tell the forms apart)', async () => {
    const s = new SkuQueryStyle('comma');
    expect((await s.lookUp(['NOPE'], server('repeat').lookUp)).requests).toBe(1);
  });
});

describe('SkuQueryStyle with lookups in flight side by side (the sync keeps a window of them)', () => {
  it('a lookup asked in the old form while another learned the new one asks again in the new form', async () => {
    const s = new SkuQueryStyle('comma');
    const srv = server('repeat');
    // Four lookups start before any answer; the server answers in order.
    const pages = [0, 1, 2, 3].map((p) => [`S-${p * 4}`, `S-${p * 4 + 1}`, `S-${p * 4 + 2}`, `NOPE-${p}`]);
    const results = await Promise.all(pages.map((skus) => s.lookUp(skus, srv.lookUp)));
    for (const [i, r] of results.entries())
      expect(r.found.map((f) => f.sku).sort(), `page ${i}`).toEqual(pages[i]!.slice(0, 3).sort());
    expect(s.style).toBe('repeat');
    // At most two requests per lookup, and never more than 3 probes.
    expect(results.every((r) => r.requests <= 2)).toBe(true);
  });
});
