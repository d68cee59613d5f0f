import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStockSource } from '../../stock-sources/load';
import type { RowProblem, StockRow, StockSource } from '../../stock-sources/types';

// Stock sources: every reader turns the source's text into validated rows, reports each bad row with
// where it was and why, and never lets a bad row through.

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stock-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function readAll(source: StockSource, pageSize = 1000) {
  const rows: StockRow[] = [];
  const problems: RowProblem[] = [];
  let pages = 0;
  for await (const page of source.read({ pageSize })) {
    pages++;
    rows.push(...page.rows);
    problems.push(...page.problems);
  }
  return { rows, problems, pages };
}

describe('file stock source', () => {
  it('reads CSV with loose headers, quotes and a BOM; reports bad rows by line and SKU', async () => {
    const path = join(dir, 'stock.csv');
    writeFileSync(
      path,
      '\uFEFFSKU,Qty,Cost,List Price,allow_backorders\n' +
        'A-1,5,2.50,9.99,yes\n' +
        '"B,2",0,,,\n' +
        'C-3,-4,1,,\n' +
        'D-4,two,1,,\n' +
        ',3,,,\n' +
        'E-5,1.5,,,\n' +
        'A-1,9,,,\n' +
        'F-6,7,,,no\n',
    );
    const { rows, problems } = await readAll(await loadStockSource(`file:${path}`));
    expect(rows).toEqual([
      { sku: 'A-1', quantity: 5, cost: 2.5, listPrice: 9.99, allowBackorders: true },
      { sku: 'B,2', quantity: 0 },
      { sku: 'F-6', quantity: 7, allowBackorders: false },
    ]);
    expect(problems.map((p) => [p.where, p.sku, p.problem])).toEqual([
      ['line 4', 'C-3', expect.stringMatching(/quantity must be ≥ 0/)],
      ['line 5', 'D-4', expect.stringMatching(/quantity must be a whole number/)],
      ['line 6', undefined, expect.stringMatching(/sku is required/)],
      ['line 7', 'E-5', expect.stringMatching(/whole number/)],
      ['line 8', 'A-1', expect.stringMatching(/duplicate SKU \(first at line 2\)/)],
    ]);
  });

  it('reads JSON lines in pages of the size asked', async () => {
    const path = join(dir, 'stock.jsonl');
    const lines = Array.from({ length: 25 }, (_, i) => JSON.stringify({ sku: `S${i}`, quantity: i }));
    lines.splice(3, 0, '{not json', '', JSON.stringify({ sku: 'X', quantity: 1, map: -1 }));
    writeFileSync(path, lines.join('\n'));
    const { rows, problems, pages } = await readAll(await loadStockSource(`file:${path}`), 10);
    expect(rows).toHaveLength(25);
    expect(pages).toBe(3);
    expect(problems).toEqual([
      { where: 'line 4', problem: 'is not valid JSON' },
      { where: 'line 6', sku: 'X', problem: expect.stringMatching(/map must be a number ≥ 0/) },
    ]);
  });

  it('refuses an unknown extension or a missing file with what to do', async () => {
    await expect(loadStockSource(`file:${join(dir, 'stock.xlsx')}`)).rejects.toThrow(/name it \.csv/);
    const missing = await loadStockSource(`file:${join(dir, 'missing.csv')}`);
    await expect(readAll(missing)).rejects.toThrow(/cannot be read/);
    await expect(loadStockSource('ftp://x')).rejects.toThrow(/unknown stock source/);
  });
});

describe('http stock source', () => {
  let server: Server;
  let url: string;
  const seen: { auth?: string; page: string | null; size: string | null }[] = [];
  let ignorePaging = false;
  beforeAll(async () => {
    const all = Array.from({ length: 23 }, (_, i) => ({ sku: `H${i}`, quantity: i, cost: '1.25' }));
    all[4] = { sku: 'H4', quantity: -1, cost: '1' };
    server = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      seen.push({
        auth: req.headers.authorization,
        page: u.searchParams.get('page'),
        size: u.searchParams.get('pageSize'),
      });
      const size = Number(u.searchParams.get('pageSize'));
      const page = ignorePaging ? 1 : Number(u.searchParams.get('page'));
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ items: all.slice((page - 1) * size, page * size) }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stock?token=secret-in-query`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('pages until a short page, sends configured headers, reports bad items, keeps secrets out of its name', async () => {
    const source = await loadStockSource(`http:${url}`, { http: { headers: { authorization: 'Bearer k' } } });
    expect(source.name).not.toContain('secret');
    const { rows, problems, pages } = await readAll(source, 10);
    expect(pages).toBe(3);
    expect(rows).toHaveLength(22);
    expect(rows[0]).toEqual({ sku: 'H0', quantity: 0, cost: 1.25 });
    expect(problems).toEqual([
      { where: 'item 5 of page 1', sku: 'H4', problem: expect.stringMatching(/≥ 0/) },
    ]);
    expect(seen.slice(-3).map((s) => [s.auth, s.page, s.size])).toEqual([
      ['Bearer k', '1', '10'],
      ['Bearer k', '2', '10'],
      ['Bearer k', '3', '10'],
    ]);
  });

  it('stops with a clear error when the endpoint ignores paging instead of looping', async () => {
    ignorePaging = true;
    try {
      await expect(readAll(await loadStockSource(`http:${url}`), 10)).rejects.toThrow(
        /ignores \?page=&pageSize=/,
      );
    } finally {
      ignorePaging = false;
    }
  });
});

describe('module stock source', () => {
  it('validates what a module yields like any other source', async () => {
    const path = join(dir, 'my-stock.cjs');
    writeFileSync(
      path,
      `exports.stockSource = { name: 'erp', async *read() { yield [{ sku: 'M1', quantity: 3 }, { sku: 'M2' }]; } };`,
    );
    const source = await loadStockSource(`module:${path}`);
    expect(source.name).toBe('module:erp');
    const { rows, problems } = await readAll(source);
    expect(rows).toEqual([{ sku: 'M1', quantity: 3 }]);
    expect(problems).toEqual([
      { where: 'item 2 of page 1', sku: 'M2', problem: expect.stringMatching(/quantity/) },
    ]);
    writeFileSync(join(dir, 'bad.cjs'), 'exports.nothing = 1;');
    await expect(loadStockSource(`module:${join(dir, 'bad.cjs')}`)).rejects.toThrow(/must export/);
  });
});
