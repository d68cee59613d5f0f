import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec } from './encryption-codec';
import type { KeyRing } from './keyring';

/**
 * Module exporting a `failureConverter` that moves failure messages and stack traces into (encrypted) payloads.
 * Pass it to `bundleWorkflowCode({ failureConverterPath })` when you pre-bundle workflows: a worker started with
 * `workflowBundle` does not re-bundle, so without it failures raised inside workflow code keep plaintext messages.
 */
export const ENCRYPTED_FAILURE_CONVERTER_PATH = join(__dirname, 'failure-converter');

export interface DataConverterOptions {
  /** When absent, encryption is off and the SDK defaults apply. */
  keyRing?: KeyRing;
}

/**
 * The data converter for every worker and client of this project: AES-256-GCM on all payloads, failure messages
 * and stack traces included, when a key ring is configured; `undefined` (the SDK default) when it is not.
 *
 * Worker: `Worker.create({ ..., dataConverter })`. Client: `new Client({ ..., dataConverter })`. Every process
 * must hold every key that any other process may encrypt with (see docs/encryption.md on rotation).
 */
export function createDataConverter(opts: DataConverterOptions): DataConverter | undefined {
  if (!opts.keyRing) return undefined;
  ensureFailureConverterLoadable();
  return {
    payloadCodecs: [new EncryptionCodec(opts.keyRing)],
    failureConverterPath: ENCRYPTED_FAILURE_CONVERTER_PATH,
  };
}

// The SDK loads failureConverterPath with Node's own require(). Built code has failure-converter.js and `tsx`
// teaches require() about .ts; only a runner that transforms TypeScript on its own (vitest) leaves require()
// unable to load the .ts source, so register tsx's CommonJS hook (a dev dependency) for that case alone.
function ensureFailureConverterLoadable(): void {
  const nodeRequire = createRequire(__filename);
  if (existsSync(`${ENCRYPTED_FAILURE_CONVERTER_PATH}.js`) || nodeRequire.extensions['.ts']) return;
  (nodeRequire('tsx/cjs/api') as { register(): unknown }).register();
}
