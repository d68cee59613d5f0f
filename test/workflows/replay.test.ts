import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FrHandler } from '../../handlers/types';
import { addShipmentUpdate, cancelSignal, pauseSignal, resumeSignal } from '../../workflows/definitions';
import { eventually, outcomeOf, startPipeline, WORKFLOWS_PATH } from '../helpers/pipeline';
import { connectTemporal, workflowBundle, type TestTemporal } from '../helpers/temporal';

// Replay guards future edits: histories recorded from real runs must replay against the current workflow
// code without non-determinism. test/fixtures/histories/ holds histories recorded from an earlier
// version as binary protobuf (`History.encode`), re-recorded with RECORD_HISTORIES=1 only when a change
// is meant to break old histories (and then guarded with patched() for running workflows); each run also
// records and replays fresh ones.

type History = temporal.api.history.v1.IHistory;

const FIXTURES = join(__dirname, '../fixtures/histories');

async function replayAll(histories: { id: string; history: History }[]): Promise<void> {
  const bundle = await workflowBundle(WORKFLOWS_PATH);
  const failures: string[] = [];
  for await (const r of Worker.runReplayHistories(
    { workflowBundle: { code: bundle.code } },
    histories.map((h) => ({ workflowId: h.id, history: h.history })),
  )) {
    if (r.error) failures.push(`${r.workflowId}: ${r.error.message}`);
  }
  expect(failures).toEqual([]);
}

describe('workflow replay', () => {
  let t: TestTemporal;
  beforeAll(async () => {
    t = await connectTemporal();
  });
  afterAll(async () => t?.close());

  it('replays the committed histories of earlier versions', async () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.pb'));
    expect(files.length).toBeGreaterThanOrEqual(5);
    await replayAll(
      files.map((f) => ({
        id: f,
        history: temporal.api.history.v1.History.decode(readFileSync(join(FIXTURES, f))),
      })),
    );
  });

  it('replays fresh histories of every path: poll, accept+ship, partial, reject, handler failure, pause/cancel', async () => {
    const handler: FrHandler = {
      name: 'replay-scenarios',
      async decide(fr) {
        const item = fr.fulfillmentRequestItems[0]!;
        switch (fr.id % 5) {
          case 1:
            return { kind: 'accept' };
          case 2:
            return {
              kind: 'partial',
              items: [{ id: item.id, acknowledgedQuantity: 1 }],
              killOrFillType: 'fill',
            };
          case 3:
            return { kind: 'reject', reason: 'no stock', killOrFillType: 'kill' };
          case 4:
            return { kind: 'fail', reason: 'cannot ship to this address' };
          default:
            return { kind: 'accept' };
        }
      },
    };
    const p = await startPipeline(t, {
      seed: { count: 5, itemsPerFr: 1, quantity: { min: 2, max: 2 } },
      handler,
    });
    try {
      const [accept, partial, , , cancel] = p.frIds; // reject and handler-fail run on their own
      await p.poll();
      const h = (id: number) => t.client.workflow.getHandle(p.frWorkflowId(id));
      await eventually(
        'accepted FR awaiting shipment',
        async () => (await p.status(accept!)).step === 'awaiting_shipment',
      );
      const item = (await p.status(accept!)).items[0]!;
      await h(accept!).executeUpdate(addShipmentUpdate, {
        args: [{ trackingNumber: 'RPL-1', items: [{ id: item.id, quantity: 2 }] }],
      });
      await eventually(
        'partial FR awaiting shipment',
        async () => (await p.status(partial!)).step === 'awaiting_shipment',
      );
      const pItem = (await p.status(partial!)).items[0]!;
      await h(partial!).executeUpdate(addShipmentUpdate, {
        args: [{ trackingNumber: 'RPL-2', items: [{ id: pItem.id, quantity: 1 }] }],
      });
      await eventually(
        'cancel FR awaiting shipment',
        async () => (await p.status(cancel!)).step === 'awaiting_shipment',
      );
      await h(cancel!).signal(pauseSignal, { reason: 'replay test' });
      await h(cancel!).signal(resumeSignal);
      await h(cancel!).signal(cancelSignal, { reason: 'customer cancelled' });
      for (const id of p.frIds) await outcomeOf(t, p.frWorkflowId(id));

      const recorded: { id: string; history: History }[] = [];
      const names = ['accept-ship', 'partial-ship', 'reject', 'handler-fail', 'cancel-after-ack'];
      for (const [i, id] of p.frIds.entries()) {
        const history = await h(id).fetchHistory();
        recorded.push({ id: `fr-${names[i]}`, history });
      }
      for await (const wf of t.client.workflow.list({
        query: `WorkflowType = 'pollFulfillmentRequestsWorkflow' AND TaskQueue = '${p.config.temporal.taskQueue}'`,
      })) {
        const history = await t.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
        recorded.push({ id: 'poll', history });
        break;
      }
      expect(recorded.map((r) => r.id)).toContain('poll');
      await replayAll(recorded);
      if (process.env.RECORD_HISTORIES) {
        for (const r of recorded) {
          writeFileSync(
            join(FIXTURES, `${r.id}.pb`),
            temporal.api.history.v1.History.encode(r.history).finish(),
          );
        }
      }
    } finally {
      await p.close();
    }
  });
});
