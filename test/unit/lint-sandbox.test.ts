import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '../..');
const fixture = join(root, 'test/fixtures/workflows/imports-node-fs.ts');

// The workflow sandbox guard in eslint.config.mjs must stay live: a Node builtin, undici or
// process.env inside workflows/ is a lint error, not a production non-determinism bug.
describe('workflow sandbox lint rule', () => {
  const eslint = new ESLint({ cwd: root, ignore: false });

  async function ruleIds(filePath: string): Promise<string[]> {
    const [result] = await eslint.lintText(readFileSync(fixture, 'utf8'), { filePath });
    return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
  }

  it('flags node:fs, undici and process inside workflows/', async () => {
    // Linted as if it were the real workflows entry point, so the rule's `files` glob is what is tested.
    const messages = await ruleIds(join(root, 'workflows/index.ts'));
    expect(messages.some((m) => m.includes('no-restricted-imports') && m.includes("'node:fs'"))).toBe(true);
    expect(messages.some((m) => m.includes('no-restricted-imports') && m.includes("'undici'"))).toBe(true);
    expect(messages.some((m) => m.startsWith('no-restricted-globals'))).toBe(true);
  }, 60_000);

  it('does not apply the sandbox rule outside workflows/', async () => {
    const messages = await ruleIds(join(root, 'activities/index.ts'));
    expect(messages.filter((m) => m.includes('restricted'))).toEqual([]);
  }, 60_000);
});
