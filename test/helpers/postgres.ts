import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports';

// A throwaway PostgreSQL server for a test file: scripts/postgres.sh in a temp dir on a free port. Never
// skips: missing binaries fail with the script's own explanation.

const ROOT = join(__dirname, '../..');
const run = promisify(execFile);

export interface TestPostgres {
  url: string;
  stop(): Promise<void>;
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'flx-pg-'));
  const script = join(ROOT, 'scripts/postgres.sh');
  const stop = async () => {
    await run('bash', [script, 'stop', '--dir', dir]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    const { stdout } = await run('bash', [script, 'start', '--port', String(port), '--dir', dir], {
      timeout: 600_000,
    });
    return { url: stdout.trim(), stop };
  } catch (err) {
    await stop();
    const e = err as { stderr?: string; message: string };
    throw new Error(`scripts/postgres.sh start failed:\n${e.stderr || e.message}`);
  }
}
