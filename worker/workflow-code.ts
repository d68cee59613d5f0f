import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowBundleOption } from '@temporalio/worker';
import type { WorkerConfig } from '../common/config';

// Which workflow code a worker runs. The failure converter is compiled into a bundle, so an encrypting
// worker must run the encrypted bundle: with a plain one, failure messages would stay in plaintext in the
// histories while every payload is encrypted. In order:
//   1. WORKFLOW_BUNDLE_PATH, when set: used as is (the loader checked it exists and, with encryption on,
//      that it is an *.encrypted.js bundle);
//   2. the bundle `npm run build` wrote for this encryption setting, found in `searchDirs`;
//   3. otherwise bundling `workflowsPath` at start (development), with the worker's own data converter.

export type WorkflowCode = { workflowBundle: WorkflowBundleOption } | { workflowsPath: string };

export function bundleFileFor(config: Pick<WorkerConfig, 'encryption'>): string {
  return config.encryption.keys ? 'workflow-bundle.encrypted.js' : 'workflow-bundle.js';
}

export function chooseWorkflowCode(
  config: Pick<WorkerConfig, 'encryption' | 'workflowBundlePath'>,
  searchDirs: readonly string[],
  workflowsPath: () => string,
): { code: WorkflowCode; source: string } {
  const bundle =
    config.workflowBundlePath ??
    searchDirs.map((dir) => join(dir, bundleFileFor(config))).find((p) => existsSync(p));
  if (bundle) return { code: { workflowBundle: { codePath: bundle } }, source: bundle };
  return { code: { workflowsPath: workflowsPath() }, source: 'bundling from source' };
}
