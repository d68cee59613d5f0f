import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The README's configuration section is the operator's reference: every variable a process reads must be
// documented there, and nothing documented may be a variable no code reads.
const root = join(__dirname, '../..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');
const CONFIG_FILES = ['worker/config.ts', 'codec/config.ts', 'intake/config.ts'];

describe('README configuration table', () => {
  const readme = read('README.md');
  const config = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Operations'));
  const read_ = new Set(
    CONFIG_FILES.flatMap((f) => [...read(f).matchAll(/env\.([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]!)),
  );

  it('documents every environment variable the worker, intake and codec server read', () => {
    expect(read_.size).toBeGreaterThan(30);
    const missing = [...read_].filter((v) => !config.includes(`\`${v}\``));
    expect(missing).toEqual([]);
  });

  it('documents no worker variable that the code does not read', () => {
    const rows = [...config.matchAll(/^\| `([A-Z][A-Z0-9_]+)`/gm)].map((m) => m[1]!);
    const unknown = rows.filter((v) => !read_.has(v) && v !== 'WORKFLOW_BUNDLE_PATH' && !v.includes('<KEY>'));
    expect(unknown).toEqual([]);
    expect(read('worker/main.ts')).toContain('WORKFLOW_BUNDLE_PATH');
  });
});
