import type { Dispatcher } from 'undici';
import { loadStockSource } from '../../stock-sources/load';
import { StockSourceError, type StockSource } from '../../stock-sources/types';
import type { DoctorCheck } from './probe';

// `doctor`'s stock source check (inventory push, docs/operations.md "Inventory sync"): for a source with
// INVENTORY_STOCK_SOURCE_<KEY>, read the first page the way a sync would (a file or a module: opened and read;
// an HTTP endpoint: one request) and say whether the sync could read it, and if not, what to fix. Nothing is
// pushed; the rest of the snapshot is not read.

export interface StockCheckOptions {
  /** The setting the spec came from, named in the report (e.g. `INVENTORY_STOCK_SOURCE_MAIN`). */
  setting: string;
  /** Rows asked for the first page (default 100). */
  pageSize?: number;
  http?: { headers?: Record<string, string>; timeoutMs?: number; dispatcher?: Dispatcher };
  cwd?: string;
}

export const STOCK_CHECK_NAME = 'stock source';

export async function checkStockSource(spec: string, opts: StockCheckOptions): Promise<DoctorCheck> {
  const check = (status: DoctorCheck['status'], detail: string): DoctorCheck => ({
    name: STOCK_CHECK_NAME,
    status,
    detail,
  });
  let source: StockSource;
  try {
    source = await loadStockSource(spec, {
      setting: opts.setting,
      http: { timeoutMs: 15_000, ...opts.http },
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    });
  } catch (err) {
    return check('fail', `${opts.setting}: ${messageOf(err)}`);
  }
  const abort = new AbortController();
  try {
    let rows = 0;
    const problems: string[] = [];
    let first: string | undefined;
    let pages = 0;
    for await (const page of source.read({ pageSize: opts.pageSize ?? 100, signal: abort.signal })) {
      pages++;
      rows += page.rows.length;
      first ??= page.rows[0]?.sku;
      for (const p of page.problems) problems.push(`${p.where}${p.sku ? ` (${p.sku})` : ''}: ${p.problem}`);
      break; // the first page only: for HTTP, one request
    }
    if (pages === 0 || (rows === 0 && problems.length === 0)) {
      return check(
        'warn',
        `${source.name}: readable, but empty: a sync would find no stock (and with INVENTORY_DISAPPEARED=zero ` +
          'set every SKU it pushed before to 0); check that the export is complete',
      );
    }
    if (problems.length > 0) {
      return check(
        rows === 0 ? 'fail' : 'warn',
        `${source.name}: first page read, ${rows} valid row(s), ${problems.length} bad row(s) (not pushed), ` +
          `first: ${problems[0]}`,
      );
    }
    return check('ok', `${source.name}: first page read, ${rows} row(s) (first SKU ${first})`);
  } catch (err) {
    // A permanent problem is one an operator must fix; a transient one (HTTP 5xx, network) proves nothing.
    if (err instanceof StockSourceError && !err.permanent) {
      return check('warn', `could not be checked now: ${err.message}; run doctor again`);
    }
    return check('fail', messageOf(err));
  } finally {
    abort.abort();
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
