import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The layer rule in eslint.config.mjs must stay live: a process folder importing another process's
// folder, or shared code importing a process, is a lint error. Each snippet is linted as if it were a
// real file of that folder, so the rule's `files` globs are what is tested.
const root = join(__dirname, '../..');

describe('process layers lint rule', () => {
  const eslint = new ESLint({ cwd: root, ignore: false });
  const restricted = async (file: string, from: string) => {
    const code = `import { x } from '${from}';\nexport const y = x;\n`;
    const [result] = await eslint.lintText(code, { filePath: join(root, file) });
    return (result?.messages ?? []).some((m) => m.ruleId === 'no-restricted-imports');
  };

  it('keeps worker/, intake/ and codec/ out of client/, and shared code out of every process', async () => {
    expect(await restricted('worker/app.ts', '../client/cli/context')).toBe(true);
    expect(await restricted('intake/config.ts', '../client/cli/context')).toBe(true);
    expect(await restricted('codec/config.ts', '../worker/config')).toBe(true);
    expect(await restricted('common/ids.ts', '../worker/config')).toBe(true);
    expect(await restricted('store/index.ts', '../client/cli')).toBe(true);
  }, 60_000);

  it('allows shared code and package names that merely end in a folder name', async () => {
    expect(await restricted('worker/app.ts', '../common/config')).toBe(false);
    expect(await restricted('intake/config.ts', '@temporalio/client')).toBe(false);
    expect(await restricted('activities/flxpoint/index.ts', './client')).toBe(false);
  }, 60_000);
});
