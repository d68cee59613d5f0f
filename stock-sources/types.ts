// Where a Source's stock comes from (issue: inventory push). Like the FR handler, pluggable: a file the
// ERP/WMS drops (CSV or JSON lines), an HTTP endpoint of the ERP/WMS (paged), or a module of the user's.
// A source is read inside an activity, page by page, so 100,000 SKUs never sit in memory or a history.

/** One SKU's stock as the Source's own system states it. Only the fields given are pushed. */
export interface StockRow {
  sku: string;
  quantity: number;
  cost?: number;
  msrp?: number;
  map?: number;
  /** Flxpoint's `inventoryListPrice`. */
  listPrice?: number;
  allowBackorders?: boolean;
}

/** A row that was not valid: reported with where it came from and why, never pushed. */
export interface RowProblem {
  /** `line 12`, `item 3 of page 2`, … */
  where: string;
  sku?: string;
  problem: string;
}

export interface StockPage {
  rows: StockRow[];
  problems: RowProblem[];
}

export interface StockSource {
  /** For logs and the status of a sync, e.g. `file:/data/stock.csv` (never a secret). */
  name: string;
  /** The whole snapshot, in pages of bounded size. A thrown error fails the read (retried as a whole). */
  read(ctx: StockReadContext): AsyncIterable<StockPage>;
  /**
   * Checks, without reading rows or sending a request, that the source can be opened (a file: it exists,
   * is a file, is readable). Throws a StockSourceError saying what is wrong. Absent: nothing to check
   * cheaply (an HTTP endpoint is only asked when a sync reads it).
   */
  check?(): Promise<void>;
}

export interface StockReadContext {
  /** Rows per page the caller wants (a hint; the last page may be shorter). */
  pageSize: number;
  signal?: AbortSignal;
}

/**
 * A stock source that cannot be read, with what to do. `permanent`: a configuration problem an operator must
 * fix (the file does not exist, is a directory or is not readable; the endpoint refuses us or is not there,
 * HTTP 4xx other than 408/429; a module that is missing or exports no reader): retrying will not help, so the
 * sync fails at once with this message. Not permanent: it may pass (HTTP 5xx, 408, 429, network errors,
 * EBUSY, …). The message never holds a secret (URLs are shown without query or credentials, headers never).
 */
export class StockSourceError extends Error {
  override name = 'StockSourceError';
  readonly permanent: boolean;
  constructor(message: string, opts: { permanent: boolean; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.permanent = opts.permanent;
  }
}

/** What an operator changes when a stock source is misconfigured (e.g. `INVENTORY_STOCK_SOURCE_MAIN`). */
export const DEFAULT_STOCK_SETTING = 'INVENTORY_STOCK_SOURCE_<KEY>';
