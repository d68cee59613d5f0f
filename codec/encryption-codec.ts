import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { KeyRing } from './keyring';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const METADATA_ENCRYPTION_KEY_ID = 'encryption-key-id';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = new TextEncoder();
const ENCRYPTED_ENCODING_BYTES = utf8.encode(ENCRYPTED_ENCODING);

/** A payload the codec recognises as its own but cannot turn back into plaintext. */
export class PayloadDecryptionError extends Error {
  override readonly name = 'PayloadDecryptionError';
  constructor(
    message: string,
    readonly keyId?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * AES-256-GCM payload encryption. Each payload is serialized whole (data AND metadata, so the original
 * `encoding` survives) as a `temporal.api.common.v1.Payload` protobuf and encrypted with the ring's active key.
 *
 * Wire format of `data`: 12-byte random IV || ciphertext || 16-byte GCM tag. Metadata, in plaintext:
 * `encoding: binary/encrypted` and `encryption-key-id: <id>` so any key in the ring can decrypt it later.
 *
 * Payloads without `binary/encrypted` decode unchanged: histories written before encryption was switched on
 * stay readable.
 */
export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keyRing: KeyRing) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.keyRing.activeKeyId;
    const key = this.keyRing.keyFor(keyId);
    if (!key) throw new Error(`Active encryption key "${keyId}" is missing from the key ring`); // unreachable by construction
    return payloads.map((payload) => ({
      metadata: {
        [METADATA_ENCODING_KEY]: ENCRYPTED_ENCODING_BYTES,
        [METADATA_ENCRYPTION_KEY_ID]: utf8.encode(keyId),
      },
      data: encrypt(temporal.api.common.v1.Payload.encode(payload).finish(), key),
    }));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decodeOne(payload));
  }

  private decodeOne(payload: Payload): Payload {
    const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
    if (!encoding || Buffer.from(encoding).toString('utf8') !== ENCRYPTED_ENCODING) return payload;

    const keyIdBytes = payload.metadata?.[METADATA_ENCRYPTION_KEY_ID];
    if (!keyIdBytes || keyIdBytes.length === 0) {
      throw new PayloadDecryptionError(
        `Cannot decrypt payload: it is marked ${ENCRYPTED_ENCODING} but has no "${METADATA_ENCRYPTION_KEY_ID}" metadata`,
      );
    }
    const keyId = Buffer.from(keyIdBytes).toString('utf8');
    const key = this.keyRing.keyFor(keyId);
    if (!key) {
      throw new PayloadDecryptionError(
        `Cannot decrypt payload: it was encrypted with key id "${keyId}", which is not in the key ring ` +
          `(known ids: ${this.keyRing.keyIds.join(', ')}). Add key "${keyId}" to the key ring ` +
          `(FLXPOINT_ENCRYPTION_KEYS) to read it.`,
        keyId,
      );
    }
    const data = payload.data ?? new Uint8Array();
    if (data.length < IV_BYTES + TAG_BYTES) {
      throw new PayloadDecryptionError(
        `Cannot decrypt payload encrypted with key "${keyId}": data is ${data.length} bytes, ` +
          `shorter than IV + auth tag (${IV_BYTES + TAG_BYTES}); it is truncated or not ours`,
        keyId,
      );
    }
    let plaintext: Buffer;
    try {
      plaintext = decrypt(data, key);
    } catch (err) {
      throw new PayloadDecryptionError(
        `Cannot decrypt payload encrypted with key "${keyId}": wrong key or tampered payload ` +
          `(AES-GCM authentication failed)`,
        keyId,
        { cause: err },
      );
    }
    try {
      return temporal.api.common.v1.Payload.decode(plaintext);
    } catch (err) {
      throw new PayloadDecryptionError(
        `Payload encrypted with key "${keyId}" decrypted but is not a serialized Temporal Payload`,
        keyId,
        { cause: err },
      );
    }
  }
}

function encrypt(plaintext: Uint8Array, key: Buffer): Uint8Array {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, ciphertext, cipher.getAuthTag()]);
}

function decrypt(data: Uint8Array, key: Buffer): Buffer {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const iv = bytes.subarray(0, IV_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);
  const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  decipher.setAuthTag(tag);
  return Buffer.concat([
    decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
    decipher.final(),
  ]);
}
