import { request, type Dispatcher } from 'undici';
import { parseStockRow, withUniqueSkus } from './row-schema';
import {
  DEFAULT_STOCK_SETTING,
  type RowProblem,
  type StockReadContext,
  type StockRow,
  type StockSource,
  StockSourceError,
} from './types';

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
  /** The setting an operator changes, named in errors (e.g. `INVENTORY_STOCK_SOURCE_MAIN`). */
  setting?: string;
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
  const setting = opts.setting ?? DEFAULT_STOCK_SETTING;
  // A body or an answer that is not the contract is the endpoint's configuration (wrong URL, wrong kind of
  // endpoint): retrying the same read will not change it.
  const wrong = (message: string) => new StockSourceError(message, { permanent: true });
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
      // Network errors, timeouts, a refused connection: may pass.
      throw new StockSourceError(
        `stock endpoint ${shown} page ${page} could not be reached (may be temporary): ${scrub((err as Error).message, opts.url, shown)}`,
        { permanent: false, cause: err },
      );
    }
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      throw new StockSourceError(
        `stock endpoint ${shown} page ${page}: the answer broke off (may be temporary): ${scrub((err as Error).message, opts.url, shown)}`,
        { permanent: false, cause: err },
      );
    }
    if (res.statusCode < 200 || res.statusCode > 299) throw statusError(shown, page, res.statusCode, setting);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw wrong(
        `stock endpoint ${shown} page ${page}: body is not JSON (${text.length} bytes); check the URL in ${setting}`,
      );
    }
    const items = listOf(body);
    if (!items) {
      throw wrong(
        `stock endpoint ${shown} page ${page}: expected a JSON array or {items|data|rows: [...]} of {sku, quantity, …}; check the URL in ${setting}`,
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
      throw wrong(
        `stock endpoint ${shown} returned the same page for page ${page - 1} and ${page}: it ignores ?page=&pageSize=`,
      );
    }
    previousFirst = first;
    yield out;
    if (items.length < ctx.pageSize) return;
  }
  throw wrong(
    `stock endpoint ${shown}: more than ${maxPages} pages; raise the page size or check the endpoint`,
  );
}

/**
 * A non-2xx answer: 4xx other than 408/429 is the endpoint telling us our request is wrong (URL, credentials,
 * permissions), permanent; 5xx, 408 and 429 may pass. The body is not quoted (it may echo a credential).
 */
export function statusError(shown: string, page: number, status: number, setting: string): StockSourceError {
  const at = `stock endpoint ${shown} page ${page} answered HTTP ${status}`;
  if (status === 401 || status === 403) {
    return new StockSourceError(
      `${at}: it refuses our credentials; check the credentials in the URL or headers of ${setting}`,
      { permanent: true },
    );
  }
  if (status === 404 || status === 410) {
    return new StockSourceError(`${at}: no such endpoint; check the URL in ${setting}`, { permanent: true });
  }
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
    return new StockSourceError(`${at}: it refuses the request; check the URL in ${setting}`, {
      permanent: true,
    });
  }
  return new StockSourceError(`${at} (may be temporary)`, { permanent: false });
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

/** An error text with the configured URL (which may hold a token) replaced by its shown form. */
function scrub(message: string, url: string, shown: string): string {
  return message.split(url).join(shown);
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
