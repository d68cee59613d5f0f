import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../common/logging';
import { sdkLogRoute } from '../../worker/logging';

// The SDK's log lines go through the process logger (worker/logging.ts). Its activity lines carry the task
// (`task`: JSON with the task token and the inputs; `taskEncoded`: the same as protobuf), at debug level and
// with every activity error; a task token lets anyone who reaches Temporal complete that activity.

function sink(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return Object.assign(w, { text: () => chunks.join('') });
}

describe('SDK log routing', () => {
  it('never writes an activity task token, keeps the rest and adds frId/sourceId', () => {
    const out = sink();
    const route = sdkLogRoute(createLogger('trace', { destination: out, format: 'json' }));
    const token = 'AAdkZWZhdWx0AChmcjoxMDAxOjc';
    for (const level of ['DEBUG', 'ERROR'] as const) {
      route({
        level,
        message: 'Error while processing ActivityTask.start',
        timestampNanos: 0n,
        meta: {
          workflowId: 'fr:1001:7',
          activityType: 'commitFulfillmentRequest',
          taskToken: token,
          task: JSON.stringify({ taskToken: token, start: { activityType: 'commitFulfillmentRequest' } }),
          taskEncoded: Buffer.from(token).toString('base64'),
        },
      });
    }
    const text = out.text();
    expect(text).not.toContain(token);
    expect(text).not.toContain(Buffer.from(token).toString('base64'));
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    for (const l of lines) {
      expect(l).toMatchObject({
        frId: '7',
        sourceId: '1001',
        activityType: 'commitFulfillmentRequest',
        taskToken: '[redacted]',
        task: '[redacted]',
        taskEncoded: '[redacted]',
        sdk: true,
      });
    }
  });
});
