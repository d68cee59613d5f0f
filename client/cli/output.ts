// Output: `--json` prints exactly one JSON document on stdout (for scripts and jq); otherwise short
// human text and aligned tables. Errors never go to stdout (see client/cli.ts).

export type Row = Record<string, unknown>;

export function formatValue(v: unknown): string {
  if (v === undefined || v === null || v === '') return '-';
  if (v instanceof Date) return v.toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function table(rows: Row[], columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((r) => columns.map((c) => formatValue(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n');
}

/** `key: value` lines for one object. */
export function fields(obj: Row): string {
  const width = Math.max(...Object.keys(obj).map((k) => k.length));
  return Object.entries(obj)
    .map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${formatValue(v)}`)
    .join('\n');
}

export class Output {
  constructor(
    readonly json: boolean,
    private readonly write: (text: string) => void = (t) => process.stdout.write(t),
  ) {}

  /** Prints `data` as JSON, or `human(data)` as text. */
  result<T>(data: T, human: (d: T) => string): void {
    this.write(this.json ? `${JSON.stringify(data, null, 2)}\n` : `${human(data)}\n`);
  }
}
