import { generateKeySpec, KeyRingError } from './keyring';

// Usage: npx tsx codec/generate-key.ts k3
// Prints "k3:<base64 32 random bytes>" and nothing else on stdout, so it can be captured into a secret store.
const keyId = process.argv[2];
if (!keyId) {
  console.error('usage: npx tsx codec/generate-key.ts <key-id>   (e.g. k3)');
  process.exit(2);
}
try {
  process.stdout.write(`${generateKeySpec(keyId)}\n`);
  console.error(
    `Add it to FLXPOINT_ENCRYPTION_KEYS on every worker, client and codec server, then make it active ` +
      `(first in the list, or FLXPOINT_ENCRYPTION_ACTIVE_KEY) once all have it; keep older keys for decoding. ` +
      `See docs/encryption.md.`,
  );
} catch (err) {
  if (!(err instanceof KeyRingError)) throw err;
  console.error(err.message);
  process.exit(2);
}
