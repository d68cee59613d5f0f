import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { TestProject } from 'vitest/node';
import { ALL_SEARCH_ATTRIBUTES } from '../common/search-attributes';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
  }
}

// One real Temporal dev server for the whole run (never a mock). Reuses TEMPORAL_ADDRESS when given,
// e.g. a server started by `npm run temporal` that you want to watch in the Web UI while tests run.
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.TEMPORAL_ADDRESS) {
    project.provide('temporalAddress', process.env.TEMPORAL_ADDRESS);
    return async () => {};
  }
  const root = resolve(__dirname, '..');
  const cli = execFileSync('bash', [join(root, 'scripts/temporal.sh'), 'path'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'flxpoint-temporal-test-'));
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli },
      dbFilename: join(dir, 'temporal.sqlite'),
      searchAttributes: [...ALL_SEARCH_ATTRIBUTES],
      // One partition per task queue, as scripts/temporal.sh and the cluster's dynamic config: a source
      // queue's rate limit and task priority apply per partition.
      extraArgs: [
        '--log-level',
        'error',
        '--dynamic-config-value',
        'matching.numTaskqueueReadPartitions=1',
        '--dynamic-config-value',
        'matching.numTaskqueueWritePartitions=1',
      ],
    },
  });
  project.provide('temporalAddress', env.address);
  return async () => {
    await env.teardown();
    rmSync(dir, { recursive: true, force: true });
  };
}
