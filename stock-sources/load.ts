import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Dispatcher } from 'undici';
import { createFileStockSource } from './file-source';
import { createHttpStockSource, redactUrl } from './http-source';
import { parseStockRow, withUniqueSkus } from './row-schema';
import {
  DEFAULT_STOCK_SETTING,
  type RowProblem,
  type StockReadContext,
  type StockRow,
  type StockSource,
  StockSourceError,
} from './types';

// Turns the STOCK_SOURCE setting into a reader: `file:<path>` (.csv / .jsonl), `http:<url>` (paged JSON)
// or `module:<path>` (your code). Fails at startup with what to change, never at the first sync.

export interface LoadStockSourceOptions {
  http?: { headers?: Record<string, string>; timeoutMs?: number; dispatcher?: Dispatcher };
  cwd?: string;
  /** The setting the spec came from, named in errors (default `INVENTORY_STOCK_SOURCE_<KEY>`). */
  setting?: string;
}

const USAGE = 'expected "file:<path>.csv|.jsonl", "http:<url>" or "module:<path>"';

/**
 * What a `module:` exports (as `stockSource` or default, or a function returning it): `read` yields pages
 * of plain objects `{ sku, quantity, cost?, … }`, validated here like every other source's rows.
 */
export interface StockSourceModule {
  name: string;
  read(ctx: StockReadContext): AsyncIterable<unknown[]>;
}

export async function loadStockSource(
  spec: string,
  options: LoadStockSourceOptions = {},
): Promise<StockSource> {
  const s = spec.trim();
  const cwd = options.cwd ?? process.cwd();
  const setting = options.setting ?? DEFAULT_STOCK_SETTING;
  const bad = (message: string) => new StockSourceError(message, { permanent: true });
  if (s.startsWith('file:')) {
    const path = s.slice('file:'.length);
    if (!path) throw bad(`stock source "file:" has no path; ${USAGE}`);
    return createFileStockSource(isAbsolute(path) ? path : resolve(cwd, path), undefined, setting);
  }
  if (s.startsWith('http:') && !s.startsWith('http://')) {
    const url = s.slice('http:'.length);
    try {
      new URL(url);
    } catch {
      throw bad(`stock source "http:${redactUrl(url)}" is not a URL; ${USAGE}`);
    }
    return createHttpStockSource({ url, ...options.http, setting });
  }
  if (s.startsWith('module:')) return loadModuleSource(s.slice('module:'.length), cwd, setting);
  const shown = /^https?:\/\//.test(s) ? `${redactUrl(s)} (prefix it with "http:")` : JSON.stringify(s);
  throw bad(`unknown stock source ${shown}; ${USAGE}`);
}

async function loadModuleSource(path: string, cwd: string, setting: string): Promise<StockSource> {
  const bad = (message: string, cause?: unknown) => new StockSourceError(message, { permanent: true, cause });
  if (!path) throw bad(`stock source "module:" has no path; ${USAGE}`);
  const base = isAbsolute(path) ? path : resolve(cwd, path);
  const file = ['', '.ts', '.js', '.cjs']
    .map((e) => base + e)
    .find((f) => existsSync(f) && statSync(f).isFile());
  if (!file) {
    throw bad(
      `stock source module not found: ${base} (relative paths start at ${cwd}); check ${setting} and that the module is deployed with the worker`,
    );
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(file)) as Record<string, unknown>;
  } catch (err) {
    throw bad(`stock source module ${file} failed to load: ${(err as Error)?.message ?? String(err)}`, err);
  }
  let exported: unknown = mod.stockSource ?? mod.default;
  if (exported && typeof exported === 'object' && 'default' in exported && !('read' in exported))
    exported = (exported as { default: unknown }).default;
  if (typeof exported === 'function') {
    try {
      exported = await (exported as () => unknown)();
    } catch (err) {
      throw bad(
        `stock source module ${file}: its exported function failed: ${(err as Error)?.message ?? String(err)}`,
        err,
      );
    }
  }
  const m = exported as Partial<StockSourceModule> | undefined;
  if (!m || typeof m.name !== 'string' || !m.name || typeof m.read !== 'function') {
    throw bad(
      `stock source module ${file} must export (as \`stockSource\` or default) { name, read(ctx) } where read yields pages of { sku, quantity, … }; fix the module or ${setting}`,
    );
  }
  const source = m as StockSourceModule;
  return {
    name: `module:${source.name}`,
    read: (ctx) => withUniqueSkus(validatePages(source, ctx)),
  };
}

async function* validatePages(
  source: StockSourceModule,
  ctx: StockReadContext,
): AsyncGenerator<{ rows: { row: StockRow; where: string }[]; problems: RowProblem[] }> {
  let page = 0;
  for await (const items of source.read(ctx)) {
    page++;
    if (!Array.isArray(items))
      throw new StockSourceError(
        `stock source module ${source.name}: page ${page} is not an array of { sku, quantity, … }; fix the module`,
        { permanent: true },
      );
    const out = { rows: [] as { row: StockRow; where: string }[], problems: [] as RowProblem[] };
    items.forEach((raw, i) => {
      const where = `item ${i + 1} of page ${page}`;
      const r = parseStockRow(raw, where);
      if ('row' in r) out.rows.push({ row: r.row, where });
      else out.problems.push(r.problem);
    });
    yield out;
  }
}
