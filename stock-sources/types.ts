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
}

export interface StockReadContext {
  /** Rows per page the caller wants (a hint; the last page may be shorter). */
  pageSize: number;
  signal?: AbortSignal;
}
