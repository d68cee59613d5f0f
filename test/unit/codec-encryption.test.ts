import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { createDataConverter, ENCRYPTED_FAILURE_CONVERTER_PATH } from '../../codec/data-converter';
import {
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  METADATA_ENCRYPTION_KEY_ID,
  PayloadDecryptionError,
} from '../../codec/encryption-codec';
import { parseKeyRing } from '../../codec/keyring';

const K1 = Buffer.alloc(32, 1).toString('base64');
const K2 = Buffer.alloc(32, 2).toString('base64');
const PII = 'Jane Q. Customer, +1-555-0100';

const toPayload = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const fromPayload = (payload: Payload): unknown => defaultPayloadConverter.fromPayload(payload);
const text = (bytes: Uint8Array | null | undefined) =>
  Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

async function decodeError(codec: EncryptionCodec, payloads: Payload[]): Promise<PayloadDecryptionError> {
  try {
    await codec.decode(payloads);
  } catch (err) {
    expect(err).toBeInstanceOf(PayloadDecryptionError);
    return err as PayloadDecryptionError;
  }
  throw new Error('expected decode to fail');
}

describe('EncryptionCodec', () => {
  const codec = new EncryptionCodec(parseKeyRing(`k1:${K1}`));

  it('round-trips payloads, the original encoding metadata included', async () => {
    const originals = [
      toPayload({ name: PII, qty: 2 }),
      toPayload(undefined),
      toPayload(new Uint8Array([0, 1, 2])),
    ];
    const encoded = await codec.encode(originals);
    expect(encoded).toHaveLength(3);
    const decoded = await codec.decode(encoded);
    expect(decoded.map(fromPayload)).toEqual([{ name: PII, qty: 2 }, undefined, new Uint8Array([0, 1, 2])]);
    expect(text(decoded[0]?.metadata?.encoding)).toBe('json/plain');
  });

  it('hides the plaintext and labels the payload with encoding and key id', async () => {
    const [encoded] = await codec.encode([toPayload({ name: PII })]);
    expect(text(encoded?.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(encoded?.metadata?.[METADATA_ENCRYPTION_KEY_ID])).toBe('k1');
    expect(Object.keys(encoded?.metadata ?? {}).sort()).toEqual(['encoding', 'encryption-key-id']);
    expect(Buffer.from(encoded!.data!).includes(PII)).toBe(false);
    expect(Buffer.from(encoded!.data!).includes('json/plain')).toBe(false);
  });

  it('uses a fresh IV per payload: equal plaintexts give different ciphertexts', async () => {
    const [a, b] = await codec.encode([toPayload('same'), toPayload('same')]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
    expect(Buffer.from(a!.data!).subarray(0, 12).equals(Buffer.from(b!.data!).subarray(0, 12))).toBe(false);
  });

  it('reads old payloads after rotation and writes new ones with the new key', async () => {
    const [old] = await new EncryptionCodec(parseKeyRing(`k1:${K1}`)).encode([toPayload('written with k1')]);
    const rotated = new EncryptionCodec(parseKeyRing(`k2:${K2},k1:${K1}`));
    const [fresh] = await rotated.encode([toPayload('written with k2')]);
    expect(text(fresh?.metadata?.[METADATA_ENCRYPTION_KEY_ID])).toBe('k2');
    const decoded = await rotated.decode([old!, fresh!]);
    expect(decoded.map(fromPayload)).toEqual(['written with k1', 'written with k2']);
  });

  it('passes unencrypted payloads through unchanged (histories from before encryption was on)', async () => {
    const plain = toPayload({ name: 'legacy' });
    const [decoded] = await codec.decode([plain]);
    expect(decoded).toBe(plain);
    const noMetadata: Payload = { data: new Uint8Array([1]) };
    expect(await codec.decode([noMetadata])).toEqual([noMetadata]);
  });

  it('names an unknown key id and tells the operator to add it', async () => {
    const [byK2] = await new EncryptionCodec(parseKeyRing(`k2:${K2}`)).encode([toPayload(PII)]);
    const err = await decodeError(codec, [byK2!]);
    expect(err.keyId).toBe('k2');
    expect(err.message).toMatch(/encrypted with key id "k2", which is not in the key ring \(known ids: k1\)/);
    expect(err.message).toMatch(/Add key "k2" to the key ring/);
  });

  it('reports a wrong key (same id, different bytes) as wrong key or tampered', async () => {
    const [encoded] = await codec.encode([toPayload(PII)]);
    const impostor = new EncryptionCodec(parseKeyRing(`k1:${K2}`));
    expect((await decodeError(impostor, [encoded!])).message).toMatch(
      /key "k1": wrong key or tampered payload/,
    );
  });

  it('detects tampering with the ciphertext, the IV or the auth tag', async () => {
    const [encoded] = await codec.encode([toPayload({ name: PII })]);
    for (const index of [0, 12, 20, encoded!.data!.length - 1]) {
      const data = Buffer.from(encoded!.data!);
      data[index] = data[index]! ^ 0x01;
      const err = await decodeError(codec, [{ ...encoded, data }]);
      expect(err.message).toContain('wrong key or tampered payload');
    }
    const truncated = await decodeError(codec, [{ ...encoded, data: encoded!.data!.subarray(0, 20) }]);
    expect(truncated.message).toMatch(/truncated/);
  });

  it('rejects an encrypted payload without a key id', async () => {
    const [encoded] = await codec.encode([toPayload(1)]);
    const metadata = { encoding: encoded!.metadata!.encoding! };
    expect((await decodeError(codec, [{ ...encoded, metadata }])).message).toMatch(/no "encryption-key-id"/);
  });

  it('puts no key material in any error', async () => {
    const ring = parseKeyRing(`k1:${K1}`);
    const [encoded] = await codec.encode([toPayload(PII)]);
    const errors = [
      await decodeError(new EncryptionCodec(parseKeyRing(`k1:${K2}`)), [encoded!]),
      await decodeError(new EncryptionCodec(parseKeyRing(`k2:${K2}`)), [encoded!]),
      await decodeError(new EncryptionCodec(ring), [{ ...encoded, data: Buffer.alloc(40) }]),
    ];
    const secrets = [K1, K2, Buffer.alloc(32, 1).toString('hex'), Buffer.alloc(32, 2).toString('hex')];
    for (const err of errors) {
      const rendered = `${err.message} ${err.stack} ${String(err.cause)} ${JSON.stringify(err)}`;
      for (const secret of secrets) expect(rendered).not.toContain(secret.slice(0, 16));
      expect(rendered).not.toContain(PII);
    }
  });
});

describe('createDataConverter', () => {
  it('is the SDK default when no key ring is configured', () => {
    expect(createDataConverter({})).toBeUndefined();
  });

  it('encrypts payloads and failure attributes when a key ring is configured', () => {
    const dc = createDataConverter({ keyRing: parseKeyRing(`k1:${K1}`) });
    expect(dc?.payloadCodecs).toHaveLength(1);
    expect(dc?.payloadCodecs?.[0]).toBeInstanceOf(EncryptionCodec);
    expect(dc?.failureConverterPath).toBe(ENCRYPTED_FAILURE_CONVERTER_PATH);
  });

  it('points at a failure converter the SDK can load with Node require', async () => {
    createDataConverter({ keyRing: parseKeyRing(`k1:${K1}`) });
    const { loadDataConverter } = await import('@temporalio/common/lib/internal-non-workflow');
    const loaded = loadDataConverter({ failureConverterPath: ENCRYPTED_FAILURE_CONVERTER_PATH });
    const failure = loaded.failureConverter.errorToFailure(new Error(PII), loaded.payloadConverter);
    expect(failure.message).toBe('Encoded failure');
    expect(failure.encodedAttributes).toBeTruthy();
  });
});
