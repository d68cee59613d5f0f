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

/** One record of the file: its raw value, or why it is not even a record (bad JSON). */
type FileRecord = { where: string; value: unknown } | { where: string; problem: string };

/** Validates records and groups them into pages of `pageSize` valid rows (problems ride along). */
async function* toPages(records: AsyncIterable<FileRecord>, pageSize: number): AsyncGenerator<RawPage> {
  let page: RawPage = { rows: [], problems: [] };
  for await (const rec of records) {
    if ('problem' in rec) {
      page.problems.push({ where: rec.where, problem: rec.problem });
      continue;
    }
    const r = parseStockRow(rec.value, rec.where);
    if ('row' in r) page.rows.push({ row: r.row, where: rec.where });
    else page.problems.push(r.problem);
    if (page.rows.length >= pageSize) {
      yield page;
      page = { rows: [], problems: [] };
    }
  }
  if (page.rows.length > 0 || page.problems.length > 0) yield page;
}

function abortOn(ctx: StockReadContext, stream: { destroy(err: Error): unknown }): void {
  ctx.signal?.addEventListener('abort', () => stream.destroy(new Error('aborted')), { once: true });
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
  abortOn(ctx, parser);
  async function* records(): AsyncGenerator<FileRecord> {
    for await (const { record, info } of parser as AsyncIterable<{
      record: Record<string, string>;
      info: { lines: number };
    }>) {
      yield { where: `line ${info.lines}`, value: record };
    }
  }
  yield* toPages(records(), ctx.pageSize);
}

async function* readJsonLines(path: string, ctx: StockReadContext): AsyncGenerator<RawPage> {
  await ensureReadable(path);
  const stream = createReadStream(path, { encoding: 'utf8' });
  abortOn(ctx, stream);
  async function* records(): AsyncGenerator<FileRecord> {
    let n = 0;
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
      n++;
      if (line.trim() === '') continue;
      try {
        yield { where: `line ${n}`, value: JSON.parse(line) as unknown };
      } catch {
        yield { where: `line ${n}`, problem: 'is not valid JSON' };
      }
    }
  }
  yield* toPages(records(), ctx.pageSize);
}
