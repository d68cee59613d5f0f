import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CodecConfigError, DEFAULT_ALLOWED_ORIGINS, loadCodecServerConfig } from '../../codec/config';

const K1 = Buffer.alloc(32, 1).toString('base64');

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadCodecServerConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(CodecConfigError);
    return (err as CodecConfigError).problems;
  }
  throw new Error('expected a CodecConfigError');
}

describe('codec server configuration', () => {
  it('fills defaults', () => {
    const config = loadCodecServerConfig({ FLXPOINT_ENCRYPTION_KEYS: `k1:${K1}` });
    expect(config).toMatchObject({ port: 8888, host: '127.0.0.1', allowedOrigins: DEFAULT_ALLOWED_ORIGINS });
    expect(config.authToken).toBeUndefined();
    expect(config.keyRing.activeKeyId).toBe('k1');
    expect(config.warnings).toEqual([]);
  });

  it('reads every variable', () => {
    const config = loadCodecServerConfig({
      CODEC_PORT: '9000',
      CODEC_HOST: '0.0.0.0',
      FLXPOINT_ENCRYPTION_KEYS: `k2:${Buffer.alloc(32, 2).toString('base64')},k1:${K1}`,
      FLXPOINT_ENCRYPTION_ACTIVE_KEY: 'k1',
      CODEC_ALLOWED_ORIGINS: 'https://temporal.example.com, https://cloud.temporal.io',
      CODEC_AUTH_TOKEN: 'a-long-enough-random-token',
    });
    expect(config).toMatchObject({
      port: 9000,
      host: '0.0.0.0',
      allowedOrigins: ['https://temporal.example.com', 'https://cloud.temporal.io'],
      authToken: 'a-long-enough-random-token',
      warnings: [],
    });
    expect(config.keyRing.activeKeyId).toBe('k1');
  });

  it('warns when listening beyond loopback without a token', () => {
    const config = loadCodecServerConfig({ FLXPOINT_ENCRYPTION_KEYS: `k1:${K1}`, CODEC_HOST: '0.0.0.0' });
    expect(config.warnings[0]).toMatch(/CODEC_AUTH_TOKEN is not set/);
  });

  it('lists every problem without echoing secrets', () => {
    const problems = problemsOf({
      CODEC_PORT: 'eighty',
      FLXPOINT_ENCRYPTION_KEYS: `k1:${K1.slice(0, 40)}`,
      FLXPOINT_ENCRYPTION_ACTIVE_KEY: 'k7',
      CODEC_ALLOWED_ORIGINS: '*,http://ok.example,ftp://x.example,https://ui.example/path',
      CODEC_AUTH_TOKEN: 'tok-XYZ',
    });
    expect(problems).toEqual([
      'CODEC_PORT: is not a TCP port (1-65535)',
      expect.stringMatching(/^CODEC_ALLOWED_ORIGINS: "\*" is a wildcard/),
      'CODEC_ALLOWED_ORIGINS: "ftp://x.example" must start with http:// or https://',
      'CODEC_ALLOWED_ORIGINS: "https://ui.example/path" must be an origin (scheme://host[:port]) without a path',
      'CODEC_AUTH_TOKEN: is shorter than 16 characters; use a long random value',
      expect.stringMatching(/^FLXPOINT_ENCRYPTION_KEYS: key "k1" is 30 bytes long/),
      'FLXPOINT_ENCRYPTION_KEYS: active key id "k7" is not in the key ring (ids: k1)',
    ]);
    expect(problems.join('\n')).not.toContain(K1.slice(0, 12));
    expect(problems.join('\n')).not.toContain('tok-XYZ');
  });

  it('requires a key ring', () => {
    expect(problemsOf({})).toEqual([expect.stringMatching(/^FLXPOINT_ENCRYPTION_KEYS: is not set/)]);
  });

  it('reads FLXPOINT_CONFIG_FILE like every process, the environment winning', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'codec-cfg-')), 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        encryption: { keys: `k1:${K1}` },
        codec: {
          port: 9001,
          allowedOrigins: ['https://temporal.example.com'],
          authToken: 'from-file-long-token',
        },
        // Another process's settings in the same file are not the codec server's business.
        flxpoint: { listDialect: 'graphql' },
      }),
    );
    expect(loadCodecServerConfig({ FLXPOINT_CONFIG_FILE: file, CODEC_PORT: '9002' })).toMatchObject({
      port: 9002,
      allowedOrigins: ['https://temporal.example.com'],
      authToken: 'from-file-long-token',
    });
    writeFileSync(file, JSON.stringify({ codec: { authToken: 'short' } }));
    expect(problemsOf({ FLXPOINT_CONFIG_FILE: file })).toEqual([
      expect.stringMatching(/^FLXPOINT_ENCRYPTION_KEYS: is not set/),
      'FLXPOINT_CONFIG_FILE "codec.authToken": is shorter than 16 characters; use a long random value',
    ]);
  });
});
