import { describe, expect, it } from 'vitest';
import { redactConnectionString, redactError, redactSecrets } from '../../store/redact';

describe('connection string redaction', () => {
  const url = 'postgresql://app:p%40ss%2Fw0rd@db.internal:5432/flxpoint?sslmode=require';

  it('masks the password in a URL and keeps everything else', () => {
    expect(redactConnectionString(url)).toBe(
      'postgresql://app:***@db.internal:5432/flxpoint?sslmode=require',
    );
    expect(redactConnectionString('postgres://h/db?user=a&password=zz&x=1')).toBe(
      'postgres://h/db?user=a&password=***&x=1',
    );
    expect(redactConnectionString('postgres://app@h/db')).toBe('postgres://app@h/db');
  });

  it('removes the URL and the password, raw or decoded, from any message', () => {
    const msg = `connect to ${url} failed; password p@ss/w0rd rejected; raw p%40ss%2Fw0rd`;
    const out = redactSecrets(msg, url);
    expect(out).not.toContain('p@ss/w0rd');
    expect(out).not.toContain('p%40ss%2Fw0rd');
    expect(out).toContain('postgresql://app:***@db.internal:5432/flxpoint');
  });

  it('redactError keeps name and code, drops the cause', () => {
    const original = Object.assign(new TypeError(`Invalid URL ${url}`, { cause: url }), {
      code: 'ERR_INVALID_URL',
    });
    const safe = redactError(original, url);
    expect(safe.name).toBe('TypeError');
    expect((safe as Error & { code?: string }).code).toBe('ERR_INVALID_URL');
    expect(safe.message + safe.stack).not.toContain('p%40ss');
    expect(safe.cause).toBeUndefined();
  });
});
