import { request, type Dispatcher } from 'undici';
import { parseStockRow, withUniqueSkus } from './row-schema';
import type { RowProblem, StockReadContext, StockRow, StockSource } from './types';

// `http:<url>`: the ERP/WMS serves its stock, paged: `GET <url>?page=1&pageSize=500`, answering a JSON
// array (or `{ "items" | "data" | "rows": [...] }`). The read ends at the first page shorter than asked.
// Auth headers come from configuration, never from the URL (which is logged).

export interface HttpStockSourceOptions {
  url: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
  dispatcher?: Dispatcher;
  /** Safety bound on pages per read (default 10,000: 5 million rows at 500 a page). */
  maxPages?: number;
}

type RawPage = { rows: { row: StockRow; where: string }[]; problems: RowProblem[] };

export function createHttpStockSource(opts: HttpStockSourceOptions): StockSource {
  const shown = redactUrl(opts.url);
  return {
    name: `http:${shown}`,
    read: (ctx) => withUniqueSkus(readPages(opts, shown, ctx)),
  };
}

async function* readPages(
  opts: HttpStockSourceOptions,
  shown: string,
  ctx: StockReadContext,
): AsyncGenerator<RawPage> {
  const maxPages = opts.maxPages ?? 10_000;
  let previousFirst: string | undefined;
  for (let page = 1; page <= maxPages; page++) {
    const url = new URL(opts.url);
    url.searchParams.set('page', String(page));
    url.searchParams.set('pageSize', String(ctx.pageSize));
    let res;
    try {
      res = await request(url, {
        method: 'GET',
        headers: { accept: 'application/json', ...opts.headers },
        headersTimeout: opts.timeoutMs ?? 30_000,
        bodyTimeout: opts.timeoutMs ?? 30_000,
        ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
    } catch (err) {
      throw new Error(`stock endpoint ${shown} page ${page}: ${(err as Error).message}`, { cause: err });
    }
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode > 299) {
      throw new Error(`stock endpoint ${shown} page ${page} answered HTTP ${res.statusCode}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`stock endpoint ${shown} page ${page}: body is not JSON (${text.length} bytes)`);
    }
    const items = listOf(body);
    if (!items) {
      throw new Error(
        `stock endpoint ${shown} page ${page}: expected a JSON array or {items|data|rows: [...]} of {sku, quantity, …}`,
      );
    }
    const out: RawPage = { rows: [], problems: [] };
    items.forEach((raw, i) => {
      const where = `item ${i + 1} of page ${page}`;
      const r = parseStockRow(raw, where);
      if ('row' in r) out.rows.push({ row: r.row, where });
      else out.problems.push(r.problem);
    });
    const first = out.rows[0]?.row.sku;
    if (page > 1 && first !== undefined && first === previousFirst) {
      throw new Error(
        `stock endpoint ${shown} returned the same page for page ${page - 1} and ${page}: it ignores ?page=&pageSize=`,
      );
    }
    previousFirst = first;
    yield out;
    if (items.length < ctx.pageSize) return;
  }
  throw new Error(
    `stock endpoint ${shown}: more than ${maxPages} pages; raise the page size or check the endpoint`,
  );
}

function listOf(body: unknown): unknown[] | undefined {
  if (Array.isArray(body)) return body;
  if (body && typeof body === 'object') {
    for (const k of ['items', 'data', 'rows']) {
      const v = (body as Record<string, unknown>)[k];
      if (Array.isArray(v)) return v;
    }
  }
  return undefined;
}

/** Keeps scheme, host and path; drops credentials and the query (either may carry a token). */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
