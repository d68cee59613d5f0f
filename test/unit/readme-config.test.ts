import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_VARIABLES, OTHER_VARIABLES, SOURCE_VARIABLES } from '../../common/config';

// The README's configuration section is the operator's reference: every variable the loader reads must be
// documented there, and nothing documented may be a variable it does not read. The loader's table
// (common/config/variables.ts) is the only list, so the check reads it, not the source text.
const root = join(__dirname, '../..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');
const VARIABLES = [...Object.keys(ENV_VARIABLES), ...Object.keys(SOURCE_VARIABLES), ...OTHER_VARIABLES];

describe('README configuration table', () => {
  const readme = read('README.md');
  const config = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Operations'));

  it('documents every environment variable the configuration loader reads', () => {
    expect(VARIABLES.length).toBeGreaterThan(30);
    expect(VARIABLES.filter((v) => !config.includes(`\`${v}\``))).toEqual([]);
  });

  it('documents no variable in the table that the loader does not read', () => {
    const rows = [...config.matchAll(/^\| `([A-Z][A-Z0-9_]+)`/gm)].map((m) => m[1]!);
    expect(rows.length).toBeGreaterThan(25);
    expect(rows.filter((v) => !VARIABLES.includes(v))).toEqual([]);
  });
});

describe('settings come only through the loader', () => {
  // The process entry points hand process.env to the loader (and the CLI reads DEBUG for stack traces).
  const ENTRY_POINTS = [
    'worker/main.ts',
    'client/setup-schedules.ts',
    'client/cli.ts',
    'client/cli/context.ts',
    'intake/main.ts',
    'codec/main.ts',
  ];
  const PRODUCTION = ['activities', 'client', 'codec', 'common', 'handlers', 'intake', 'store', 'worker'];
  const files = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
    );

  it('no production module other than an entry point reads process.env', () => {
    const code = (f: string) => read(f).replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    const readers = PRODUCTION.flatMap(files).filter((f) => code(f).includes('process.env'));
    expect(readers.map((f) => relative('.', f)).filter((f) => !ENTRY_POINTS.includes(f))).toEqual([]);
  });
});
