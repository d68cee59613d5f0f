import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';

/** AES-256 needs exactly 32 bytes of key. */
export const KEY_BYTES = 32;

// Key ids travel in plaintext payload metadata and in error messages, so they must be boring. At most 32
// characters: shorter than any base64 key, so a key pasted where the id belongs is never echoed as an "id".
const KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
const NO_KEYS = 'no keys given: expected "id:<base64 32 bytes>[,id:<base64 32 bytes>...]"';
// Standard or URL-safe alphabet, padding optional.
const BASE64_PATTERN = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * A configuration error in the key ring. Messages name key ids and positions, never key material: a
 * misplaced key (e.g. `<key>:k1` instead of `k1:<key>`) must not end up in a log.
 */
export class KeyRingError extends Error {
  override readonly name = 'KeyRingError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid encryption key ring:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * The keys the codec knows. The active key encrypts; every key decrypts, which is what makes rotation work:
 * add a new key as active, keep the old ones until no history still refers to them.
 *
 * Key bytes are held in a private field so that logging, inspecting or JSON-serializing a ring shows ids only.
 */
export class KeyRing {
  readonly #keys: ReadonlyMap<string, Buffer>;

  private constructor(
    keys: ReadonlyMap<string, Buffer>,
    readonly activeKeyId: string,
  ) {
    this.#keys = keys;
  }

  /**
   * Builds a ring from raw keys (e.g. fetched from a KMS). The first key is active unless `activeKeyId` says
   * otherwise. Throws {@link KeyRingError} listing every problem.
   */
  static fromKeys(keys: Iterable<readonly [string, Uint8Array]>, activeKeyId?: string): KeyRing {
    const problems: string[] = [];
    const map = new Map<string, Buffer>();
    const seenIds: string[] = [];
    let position = 0;
    for (const [id, key] of keys) {
      position++;
      if (!KEY_ID_PATTERN.test(id)) {
        problems.push(`key #${position}: ${describeBadId(id)}`);
        continue;
      }
      if (seenIds.includes(id)) {
        problems.push(`key id "${id}" appears more than once`);
        continue;
      }
      seenIds.push(id);
      if (key.byteLength !== KEY_BYTES) {
        problems.push(
          `key "${id}" is ${key.byteLength} bytes long; AES-256 needs exactly ${KEY_BYTES} ` +
            `(generate one with: npx tsx codec/generate-key.ts ${id})`,
        );
        continue;
      }
      map.set(id, Buffer.from(key));
    }
    if (position === 0) problems.push(NO_KEYS);
    let active = seenIds[0];
    if (activeKeyId !== undefined && activeKeyId !== '') {
      if (seenIds.includes(activeKeyId)) active = activeKeyId;
      else if (KEY_ID_PATTERN.test(activeKeyId))
        problems.push(
          `active key id "${activeKeyId}" is not in the key ring (ids: ${seenIds.join(', ') || 'none'})`,
        );
      else problems.push(`active key id is not valid (${describeBadId(activeKeyId)})`);
    }
    if (problems.length > 0 || active === undefined) throw new KeyRingError(problems);
    return new KeyRing(map, active);
  }

  /** Key ids, in configuration order. */
  get keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  has(keyId: string): boolean {
    return this.#keys.has(keyId);
  }

  /** The key bytes for `keyId`. Only the codec should need this. */
  keyFor(keyId: string): Buffer | undefined {
    return this.#keys.get(keyId);
  }

  toJSON(): { activeKeyId: string; keyIds: string[] } {
    return { activeKeyId: this.activeKeyId, keyIds: this.keyIds };
  }

  [inspect.custom](): string {
    return `KeyRing { activeKeyId: '${this.activeKeyId}', keyIds: [${this.keyIds.map((id) => `'${id}'`).join(', ')}] }`;
  }
}

/**
 * Parses `k2:<base64 32 bytes>,k1:<base64 32 bytes>`. The first key (or `activeKeyId`) encrypts; all decrypt.
 * Throws {@link KeyRingError} listing every problem found.
 */
export function parseKeyRing(spec: string, activeKeyId?: string): KeyRing {
  const problems: string[] = [];
  const keys: Array<[string, Buffer]> = [];
  const entries = spec
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  entries.forEach((entry, i) => {
    const colon = entry.indexOf(':');
    if (colon < 0) {
      problems.push(`entry #${i + 1} has no "id:" prefix (expected "id:<base64 32 bytes>")`);
      return;
    }
    const id = entry.slice(0, colon).trim();
    if (!KEY_ID_PATTERN.test(id)) {
      problems.push(`entry #${i + 1}: ${describeBadId(id)}`);
      return;
    }
    const key = decodeBase64(entry.slice(colon + 1).trim());
    if (key === undefined) problems.push(`key "${id}" is not valid base64`);
    else keys.push([id, key]);
  });
  // Let fromKeys add what it checks (lengths, duplicates, active id) so the operator sees every problem at once.
  if (keys.length > 0 || problems.length === 0) {
    try {
      if (problems.length === 0) return KeyRing.fromKeys(keys, activeKeyId);
      KeyRing.fromKeys(keys, activeKeyId);
    } catch (err) {
      if (!(err instanceof KeyRingError)) throw err;
      problems.push(...err.problems);
    }
  }
  throw new KeyRingError(problems);
}

/** A fresh random key in the `id:<base64>` form {@link parseKeyRing} reads. */
export function generateKeySpec(keyId: string): string {
  if (!KEY_ID_PATTERN.test(keyId)) throw new KeyRingError([describeBadId(keyId)]);
  return `${keyId}:${randomBytes(KEY_BYTES).toString('base64')}`;
}

function decodeBase64(text: string): Buffer | undefined {
  if (!BASE64_PATTERN.test(text)) return undefined;
  const unpadded = text.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) return undefined;
  return Buffer.from(unpadded.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

// Never echo an invalid id: it may be key material pasted the wrong way round.
function describeBadId(id: string): string {
  if (id === '') return 'key id is empty';
  return (
    `key id is not valid (${id.length} characters; ids must be 1-32 of A-Z a-z 0-9 . _ - ` +
    `and start with a letter or digit)`
  );
}
