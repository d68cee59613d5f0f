import { createReadStream } from 'node:fs';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import { parseStockRow, withUniqueSkus } from './row-schema';
import {
  DEFAULT_STOCK_SETTING,
  type RowProblem,
  type StockReadContext,
  type StockRow,
  type StockSource,
  StockSourceError,
} from './types';

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

export function createFileStockSource(
  path: string,
  format?: StockFileFormat,
  /** The setting an operator changes, named in errors (e.g. `INVENTORY_STOCK_SOURCE_MAIN`). */
  setting: string = DEFAULT_STOCK_SETTING,
): StockSource {
  const fmt = format ?? stockFileFormat(path);
  if (!fmt) {
    throw new StockSourceError(
      `stock file ${path}: unknown format; name it .csv (header row with sku,quantity,…) or .jsonl (one JSON object per line)`,
      { permanent: true },
    );
  }
  return {
    name: `file:${path}`,
    read: (ctx) =>
      withUniqueSkus(fmt === 'csv' ? readCsv(path, setting, ctx) : readJsonLines(path, setting, ctx)),
    check: () => ensureReadable(path, setting),
  };
}

type RawPage = { rows: { row: StockRow; where: string }[]; problems: RowProblem[] };

/** The file exists, is a file and this process may read it; otherwise a StockSourceError saying which. */
async function ensureReadable(path: string, setting: string): Promise<void> {
  try {
    const st = await stat(path);
    if (st.isDirectory()) {
      throw new StockSourceError(
        `stock file ${path} is a directory, not a file: check ${setting} (it names the export file itself)`,
        { permanent: true },
      );
    }
    await access(path, constants.R_OK);
  } catch (err) {
    throw fileError(path, setting, err);
  }
}

/** Why the file cannot be read, as a StockSourceError: permanent when an operator must act. */
export function fileError(path: string, setting: string, err: unknown): StockSourceError {
  if (err instanceof StockSourceError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new StockSourceError(
      `stock file ${path} cannot be read: it does not exist; check ${setting} or that the ERP/WMS export ran (and wrote it there)`,
      { permanent: true, cause: err },
    );
  }
  if (code === 'EISDIR') {
    return new StockSourceError(
      `stock file ${path} is a directory, not a file: check ${setting} (it names the export file itself)`,
      { permanent: true, cause: err },
    );
  }
  if (code === 'EACCES' || code === 'EPERM') {
    const who = typeof process.getuid === 'function' ? ` (uid ${process.getuid()})` : '';
    return new StockSourceError(
      `stock file ${path} cannot be read: permission denied for the worker's user${who}; make the file (and its directories) readable by it, or check ${setting}`,
      { permanent: true, cause: err },
    );
  }
  return new StockSourceError(
    `stock file ${path} cannot be read right now (may be temporary): ${code ?? (err as Error)?.message ?? String(err)}`,
    { permanent: false, cause: err },
  );
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

async function* readCsv(path: string, setting: string, ctx: StockReadContext): AsyncGenerator<RawPage> {
  await ensureReadable(path, setting);
  const file = createReadStream(path);
  const parser = file.pipe(
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
  // pipe() does not pass the file's errors on (the file may vanish between the check and the open).
  file.on('error', (err) => parser.destroy(fileError(path, setting, err)));
  // A read stopped early (the doctor's first page, an abort) closes the file too, not just the parser.
  parser.on('close', () => file.destroy());
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

async function* readJsonLines(path: string, setting: string, ctx: StockReadContext): AsyncGenerator<RawPage> {
  await ensureReadable(path, setting);
  const stream = createReadStream(path, { encoding: 'utf8' });
  abortOn(ctx, stream);
  async function* records(): AsyncGenerator<FileRecord> {
    let n = 0;
    try {
      for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
        n++;
        if (line.trim() === '') continue;
        let value: unknown;
        try {
          value = JSON.parse(line) as unknown;
        } catch {
          yield { where: `line ${n}`, problem: 'is not valid JSON' };
          continue;
        }
        yield { where: `line ${n}`, value };
      }
    } catch (err) {
      if (ctx.signal?.aborted) throw err;
      throw fileError(path, setting, err);
    } finally {
      // readline does not close its input when the read stops early.
      stream.destroy();
    }
  }
  yield* toPages(records(), ctx.pageSize);
}
