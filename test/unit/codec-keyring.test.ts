import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { generateKeySpec, KeyRing, KeyRingError, parseKeyRing } from '../../codec/keyring';

const key = (fill: number) => Buffer.alloc(32, fill).toString('base64');
const K1 = key(1);
const K2 = key(2);

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(KeyRingError);
    return (err as KeyRingError).problems;
  }
  throw new Error('expected a KeyRingError');
}

describe('parseKeyRing', () => {
  it('makes the first key active and keeps every key for decryption', () => {
    const ring = parseKeyRing(`k2:${K2}, k1:${K1}`);
    expect(ring.activeKeyId).toBe('k2');
    expect(ring.keyIds).toEqual(['k2', 'k1']);
    expect(ring.keyFor('k1')).toEqual(Buffer.alloc(32, 1));
  });

  it('honours an explicit active key id', () => {
    expect(parseKeyRing(`k2:${K2},k1:${K1}`, 'k1').activeKeyId).toBe('k1');
  });

  it('accepts URL-safe base64 without padding and a trailing comma', () => {
    const urlSafe = Buffer.alloc(32, 0xfb).toString('base64url');
    expect(parseKeyRing(`k1:${urlSafe},`).keyFor('k1')).toEqual(Buffer.alloc(32, 0xfb));
  });

  it('lists every problem at once', () => {
    const problems = problemsOf(() =>
      parseKeyRing(`k1:${K1},k1:${K2},k3:not*base64,k4:${key(4).slice(0, 20)}`, 'k9'),
    );
    expect(problems).toEqual([
      'key "k3" is not valid base64',
      'key id "k1" appears more than once',
      expect.stringMatching(/^key "k4" is 15 bytes long; AES-256 needs exactly 32/),
      'active key id "k9" is not in the key ring (ids: k1, k4)',
    ]);
  });

  it('rejects an empty spec and entries without an id', () => {
    expect(problemsOf(() => parseKeyRing('  '))[0]).toMatch(/no keys given/);
    expect(problemsOf(() => parseKeyRing(K1))).toEqual([
      'entry #1 has no "id:" prefix (expected "id:<base64 32 bytes>")',
    ]);
  });

  it('never echoes key material, even when a key is pasted where the id belongs', () => {
    const urlSafe = Buffer.alloc(32, 1).toString('base64url'); // 43 chars of the id alphabet
    const specs = [
      `${K1}:k1`,
      `${urlSafe}:k1`,
      `k1:${urlSafe}`.replace(/.$/, ''),
      `k1:${K1.slice(0, -4)}`,
      `k1:${K1},k1:${K1}`,
      `k1:${K1}!`,
      K1,
    ];
    for (const spec of specs) {
      const err = (() => {
        try {
          parseKeyRing(spec, 'missing');
        } catch (e) {
          return e as Error;
        }
        throw new Error(`expected ${spec} to fail`);
      })();
      expect(err.message).not.toContain(K1.slice(0, 12));
      expect(err.message).not.toContain(urlSafe.slice(0, 12));
      expect(err.message).not.toContain(Buffer.alloc(32, 1).toString('hex').slice(0, 12));
    }
  });

  it('shows only ids when a ring is logged or serialized', () => {
    const ring = parseKeyRing(`k1:${K1}`);
    expect(inspect(ring)).toBe("KeyRing { activeKeyId: 'k1', keyIds: ['k1'] }");
    expect(JSON.stringify({ ring })).toBe('{"ring":{"activeKeyId":"k1","keyIds":["k1"]}}');
    expect(`${inspect(ring, { showHidden: true, depth: 5 })}`).not.toContain(K1);
  });
});

describe('KeyRing.fromKeys', () => {
  it('validates raw keys the same way', () => {
    expect(problemsOf(() => KeyRing.fromKeys([['k1', new Uint8Array(16)]]))).toEqual([
      expect.stringMatching(/^key "k1" is 16 bytes long/),
    ]);
    expect(KeyRing.fromKeys([['a', new Uint8Array(32)]]).activeKeyId).toBe('a');
  });
});

describe('generateKeySpec', () => {
  it('produces a spec that parses to a fresh 32-byte key', () => {
    const a = generateKeySpec('k3');
    const b = generateKeySpec('k3');
    expect(a).toMatch(/^k3:[A-Za-z0-9+/]{43}=$/);
    expect(a).not.toBe(b);
    expect(parseKeyRing(a).keyFor('k3')).toHaveLength(32);
  });

  it('rejects an invalid id', () => {
    expect(() => generateKeySpec('k 3')).toThrow(KeyRingError);
  });
});
