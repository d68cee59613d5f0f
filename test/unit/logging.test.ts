import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, parseLogFormat } from '../../common/logging';

// Logs are JSON lines for machines (a pipe, a file, a container log) and readable lines in a terminal.

function sink(isTTY: boolean): Writable & { isTTY: boolean; text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return Object.assign(w, { isTTY, text: () => chunks.join('') });
}

describe('createLogger', () => {
  it('writes one JSON object per line when the destination is not a TTY', () => {
    const out = sink(false);
    const log = createLogger('info', { destination: out });
    log.info({ frId: 7, sourceId: 1001, token: 'secret' }, 'acknowledged in Flxpoint');
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 30,
      msg: 'acknowledged in Flxpoint',
      frId: 7,
      sourceId: 1001,
      token: '[redacted]',
      service: 'flxpoint-temporal',
    });
  });

  it('writes readable single lines to a TTY: level, message and the FR, no JSON object, no secret', () => {
    const out = sink(true);
    const log = createLogger('info', { destination: out });
    log.info(
      { frId: 7, sourceId: 1001, token: 'secret', sdkComponent: 'workflow' },
      'acknowledged in Flxpoint',
    );
    log.warn({ error: { type: 'Flxpoint.bad_request', nonRetryable: true } }, 'shipment refused');
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(2);
    const plain = lines.map((l) => l.replace(/\u001b\[[0-9;]*m/g, ''));
    expect(plain[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: acknowledged in Flxpoint /);
    expect(plain[0]).toContain('"frId":7');
    expect(plain[0]).not.toContain('secret');
    expect(plain[0]).not.toContain('sdkComponent');
    expect(plain[1]).toMatch(/WARN: shipment refused .*Flxpoint\.bad_request/);
    expect(() => JSON.parse(plain[0]!)).toThrow();
  });

  it('follows LOG_FORMAT over the TTY check', () => {
    const tty = sink(true);
    createLogger('info', { destination: tty, format: 'json' }).info('hello');
    expect(JSON.parse(tty.text())).toMatchObject({ msg: 'hello' });
    expect(parseLogFormat(undefined)).toBe('auto');
    expect(parseLogFormat('pretty')).toBe('pretty');
    expect(() => parseLogFormat('yaml')).toThrow(/json, pretty or auto/);
  });
});
