import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptAllHandler } from '../../handlers/accept-all';
import type { FrHandler } from '../../handlers/types';
import type { FrStatus } from '../../workflows/definitions';
import { eventually, startPipeline, type Pipeline } from '../helpers/pipeline';
import { connectTemporal, type TestTemporal } from '../helpers/temporal';

// Issue 10 row 6, end to end (real dev server, workers, simulator): FRs Flxpoint sends with no items, or a
// zero, negative or fractional quantity, were acknowledged and recorded acknowledged_and_shipped with no
// shipment (the fractional one could never finish). Now the handler is told and none is acknowledged: the
// default handler, and any handler that answers "accept" anyway, ends them processing-failed with a reason
// that names the field.

type SimFr = { fulfillmentRequestItems: { quantity: number }[] };

describe('FRs that cannot be fulfilled as sent are not acknowledged', () => {
  let t: TestTemporal;
  beforeAll(async () => {
    t = await connectTemporal();
  });
  afterAll(async () => t?.close());

  const blindAccept: FrHandler = { name: 'blind-accept', decide: async () => ({ kind: 'accept' }) };

  for (const handler of [acceptAllHandler, blindAccept]) {
    it(`handler ${handler.name}: processing-failed with the field named, never acknowledged`, async () => {
      const seen: (string[] | undefined)[] = [];
      const p: Pipeline = await startPipeline(t, {
        seed: { count: 5, itemsPerFr: 2, quantity: { min: 2, max: 2 } },
        handler: {
          name: handler.name,
          decide: async (fr, ctx) => {
            seen.push(ctx.problems);
            return handler.decide(fr, ctx);
          },
        },
      });
      try {
        const [empty, fractional, zero, negative, sound] = p.frIds as [
          number,
          number,
          number,
          number,
          number,
        ];
        const simFr = (id: number) => p.sim.state.store.peek(id) as unknown as SimFr;
        simFr(empty).fulfillmentRequestItems.length = 0;
        simFr(fractional).fulfillmentRequestItems[1]!.quantity = 1.5;
        simFr(zero).fulfillmentRequestItems[0]!.quantity = 0;
        simFr(negative).fulfillmentRequestItems[1]!.quantity = -2;
        await p.poll();
        const expected: [number, RegExp][] = [
          [empty, /fulfillmentRequestItems is empty/],
          [fractional, /fulfillmentRequestItems\[1\]\.quantity is 1\.5: not a whole positive number/],
          [zero, /fulfillmentRequestItems\[0\]\.quantity is 0: not a whole positive number/],
          [negative, /fulfillmentRequestItems\[1\]\.quantity is -2: not a whole positive number/],
        ];
        for (const [id, reason] of expected) {
          const s = await eventually(`FR ${id} finished`, async () => {
            const st: FrStatus = await p.status(id).catch(() => undefined as never);
            return st?.outcome ? st : undefined;
          });
          expect(s.outcome).toBe('processing_failed');
          expect(s.decision).toMatchObject({ kind: 'fail', reason: expect.stringMatching(reason) });
          expect(p.counters().ackSuccessByFr[id]).toBeUndefined();
          expect(p.counters().processingFailedByFr[id]).toBe(1);
        }
        await eventually('the sound FR acknowledged', () => p.counters().ackSuccessByFr[sound] === 1);
        // The handler was told: four FRs with their problems, the sound one with none.
        expect(seen.filter((x) => x && x.length > 0)).toHaveLength(4);
        expect(seen.filter((x) => x && x.length === 0)).toHaveLength(1);
      } finally {
        await p.close();
      }
    }, 240_000);
  }
});
