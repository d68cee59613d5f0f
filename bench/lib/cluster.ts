import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../../test/helpers/ports';
import { onCleanup, tempDir } from './harness';

// A throwaway real Temporal cluster for a benchmark (scripts/temporal-cluster.sh: server 1.32.0, four
// services as processes, PostgreSQL), on free ports and a temp directory, stopped at cleanup. Its CPU is
// the sum of the four services (and PostgreSQL, reported apart).

export interface BenchCluster {
  address: string;
  client: Client;
  /** Service name → pid (history, matching, frontend, worker). */
  pids: Record<string, number>;
  postgresPid: number;
}

export async function startCluster(): Promise<BenchCluster> {
  const root = join(__dirname, '../..');
  const dir = tempDir('cluster');
  // PostgreSQL runs as its own user and must traverse the directory (mkdtemp makes it 0700).
  chmodSync(dir, 0o755);
  // The frontend's port minus 10300 is a membership port: stay clear of both ends (docs in the script).
  const port = 20_000 + Math.floor(Math.random() * 9_000);
  const env = {
    ...process.env,
    TEMPORAL_CLUSTER_DIR: dir,
    TEMPORAL_CLUSTER_PORT: String(port),
    TEMPORAL_CLUSTER_PG_PORT: String(await freePort()),
    TEMPORAL_CLUSTER_UI_PORT: 'off',
  };
  const script = join(root, 'scripts/temporal-cluster.sh');
  const address = execFileSync('bash', [script, 'start'], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  onCleanup(() => void execFileSync('bash', [script, 'stop'], { env, stdio: 'ignore' }));
  const connection = await Connection.connect({ address });
  onCleanup(() => connection.close());
  const pids = Object.fromEntries(
    ['history', 'matching', 'frontend', 'worker'].map((s) => [
      s,
      Number(readFileSync(join(dir, 'pids', `${s}.pid`), 'utf8').trim()),
    ]),
  );
  const postgresPid = Number(readFileSync(join(dir, 'postgres/data/postmaster.pid'), 'utf8').split('\n')[0]);
  return { address, client: new Client({ connection, namespace: 'default' }), pids, postgresPid };
}
