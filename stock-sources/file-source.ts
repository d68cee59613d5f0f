import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import { parseStockRow, withUniqueSkus } from './row-schema';
import type { RowProblem, StockReadContext, StockRow, StockSource } from './types';

// `file:<path>`: the snapshot an ERP/WMS exports. `.csv` (header row, comma-separated, quoted fields as
// RFC 4180) or `.jsonl`/`.ndjson` (one JSON object per line). Read as a stream each run, so the file may
// be replaced between runs (write it to a temp name and rename, so a run never reads half a file).

export type StockFileFormat = 'csv' | 'jsonl';

export function stockFileFormat(path: string): StockFileFormat | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  return undefined;
}

export function createFileStockSource(path: string, format?: StockFileFormat): StockSource {
  const fmt = format ?? stockFileFormat(path);
  if (!fmt) {
    throw new Error(
      `stock file ${path}: unknown format; name it .csv (header row with sku,quantity,…) or .jsonl (one JSON object per line)`,
    );
  }
  return {
    name: `file:${path}`,
    read: (ctx) => withUniqueSkus(fmt === 'csv' ? readCsv(path, ctx) : readJsonLines(path, ctx)),
  };
}

type RawPage = { rows: { row: StockRow; where: string }[]; problems: RowProblem[] };

async function ensureReadable(path: string): Promise<void> {
  try {
    await access(path);
  } catch {
    throw new Error(
      `stock file ${path} cannot be read (missing or no permission); check the path of the stock source`,
    );
  }
}

async function* readCsv(path: string, ctx: StockReadContext): AsyncGenerator<RawPage> {
  await ensureReadable(path);
  const parser = createReadStream(path).pipe(
    parse({
      columns: (header: string[]) => header.map((h) => h.trim()),
      bom: true,
      skip_empty_lines: true,
      trim: true,
      relax_column_count: true,
      // Each record with the line it ended on, so a problem names the line an operator can open.
      info: true,
    }),
  );
  if (ctx.signal)
    ctx.signal.addEventListener('abort', () => parser.destroy(new Error('aborted')), { once: true });
  let page: RawPage = { rows: [], problems: [] };
  for await (const { record, info } of parser as AsyncIterable<{
    record: Record<string, string>;
    info: { lines: number };
  }>) {
    const where = `line ${info.lines}`;
    const r = parseStockRow(record, where);
    if ('row' in r) page.rows.push({ row: r.row, where });
    else page.problems.push(r.problem);
    if (page.rows.length >= ctx.pageSize) {
      yield page;
      page = { rows: [], problems: [] };
    }
  }
  if (page.rows.length > 0 || page.problems.length > 0) yield page;
}

async function* readJsonLines(path: string, ctx: StockReadContext): AsyncGenerator<RawPage> {
  await ensureReadable(path);
  const stream = createReadStream(path, { encoding: 'utf8' });
  if (ctx.signal)
    ctx.signal.addEventListener('abort', () => stream.destroy(new Error('aborted')), { once: true });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let page: RawPage = { rows: [], problems: [] };
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    const where = `line ${n}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      page.problems.push({ where, problem: 'is not valid JSON' });
      continue;
    }
    const r = parseStockRow(value, where);
    if ('row' in r) page.rows.push({ row: r.row, where });
    else page.problems.push(r.problem);
    if (page.rows.length >= ctx.pageSize) {
      yield page;
      page = { rows: [], problems: [] };
    }
  }
  if (page.rows.length > 0 || page.problems.length > 0) yield page;
}
