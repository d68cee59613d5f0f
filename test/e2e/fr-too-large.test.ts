import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FrStatus } from '../../workflows/definitions';
import { eventually, startPipeline } from '../helpers/pipeline';
import { connectTemporal, type TestTemporal } from '../helpers/temporal';

// Issue 10 row 7, end to end (real dev server, workers, simulator): an FR of 6,000 items (about 2 MB as
// JSON here) is larger than Temporal's 2 MB payload limit. Its fetch failed after Flxpoint answered and was
// retried for ever, one Flxpoint request each time. Now the fetch measures it once and the FR ends processing-failed with the
// reason; the source's budget is not spent on it again.

type SimFr = { fulfillmentRequestItems: Record<string, unknown>[] };

describe('an FR too large for Temporal', () => {
  let t: TestTemporal;
  beforeAll(async () => {
    t = await connectTemporal();
  });
  afterAll(async () => t?.close());

  it('is refused once by the fetch and marked processing-failed; no request is spent on it again', async () => {
    const p = await startPipeline(t, { seed: { count: 1, itemsPerFr: 1 } });
    try {
      const [id] = p.frIds as [number];
      const fr = p.sim.state.store.peek(id) as unknown as SimFr;
      const template = fr.fulfillmentRequestItems[0]!;
      for (let i = 1; i < 6_000; i++) {
        fr.fulfillmentRequestItems.push({
          ...template,
          id: (template.id as number) + 1_000_000 + i,
          sku: `BULK-${i}`,
          // Real Flxpoint items carry many more fields than the simulator's: about 300 bytes each here.
          title: `Bulk line ${i} `.padEnd(200, '.'),
        });
      }
      await p.poll();
      const status = await eventually(
        'the FR finished',
        async () => {
          const s: FrStatus | undefined = await p.status(id).catch(() => undefined);
          return s?.outcome ? s : undefined;
        },
        180_000,
      );
      expect(status.outcome).toBe('processing_failed');
      expect(status.lastError).toMatch(new RegExp(`FR ${id} is too large for this integration: 6000 items`));
      expect(p.counters().processingFailedByFr[id]).toBe(1);
      expect(p.counters().ackAttemptsByFr[id]).toBeUndefined();
      // Refused from the listed copy, or by one GET when the worker no longer held it: never re-read.
      const gets = p.counters().requestsByEndpoint['fr.get'] ?? 0;
      expect(gets).toBeLessThanOrEqual(1);
      await eventually('the workflow completed', async () => {
        const d = await p.client.workflow.getHandle(p.frWorkflowId(id)).describe();
        return d.status.name === 'COMPLETED';
      });
    } finally {
      await p.close();
    }
  }, 300_000);
});
