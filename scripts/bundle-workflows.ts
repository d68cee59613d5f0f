import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ENCRYPTED_FAILURE_CONVERTER_PATH } from '../codec/data-converter';

// Pre-bundles the workflow code at build time (`npm run build`), so a worker pod starts without running
// webpack: faster starts, and the exact code that was tested is the code that runs. Two bundles, because
// the failure converter is compiled into the bundle: plain, and one whose failure messages become
// payloads that the encryption codec encrypts. worker/main.ts picks the one matching its config.

async function main(): Promise<void> {
  const outDir = process.argv[2] ?? join(__dirname, '../dist');
  mkdirSync(outDir, { recursive: true });
  const workflowsPath = require.resolve('../workflows');
  for (const [file, failureConverterPath] of [
    ['workflow-bundle.js', undefined],
    ['workflow-bundle.encrypted.js', ENCRYPTED_FAILURE_CONVERTER_PATH],
  ] as const) {
    const { code } = await bundleWorkflowCode({ workflowsPath, failureConverterPath });
    writeFileSync(join(outDir, file), code);
    console.log(`workflow bundle written to ${join(outDir, file)} (${(code.length / 1024).toFixed(0)} KiB)`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
