import { describe, expect, it } from 'vitest';
import { WorkflowNotFoundError } from '@temporalio/client';
import { drained, pipelinePerTest, type Pipeline } from '../helpers/pipeline';

// Safe defaults (issue 9 item 3) and list-fed FRs (item 2), end to end: real dev server, real workers,
// real HTTP against the simulator. The worker is given NO dialect settings at all.

describe('safe defaults against the reference contract', () => {
  const e2e = pipelinePerTest();

  /** True when Temporal never started a workflow for this FR. */
  const neverStarted = async (pl: Pipeline, frId: number) => {
    try {
      await pl.client.workflow.getHandle(pl.frWorkflowId(frId)).describe();
      return false;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return true;
      throw err;
    }
  };

  it('with no dialect settings, processes every waiting FR once from the list (no GET per FR) on a server that ignores unknown parameters', async () => {
    const pl = await e2e.start({
      seed: { count: 12, itemsPerFr: 2 },
      pageSize: 5,
      // What the docs say: reference parameters only (the guide's are ignored), a bare array, PATCH acknowledge.
      simulator: { listDialects: ['reference'], listEnvelope: 'array', acknowledgeMethods: ['PATCH'] },
    });
    expect(pl.config.flxpoint).toMatchObject({ listDialect: 'reference', acknowledgeMethod: 'PATCH' });
    const [ackedElsewhere, cancelled, ...waiting] = pl.frIds;
    pl.sim.state.acknowledgeAsSomeoneElse(ackedElsewhere!);
    pl.sim.state.cancel(cancelled!);
    pl.sim.state.resetCounters();

    const summary = await pl.poll();
    expect(summary).toMatchObject({ childrenStarted: waiting.length, frsSeen: waiting.length });
    expect(summary.filterIgnored).toBeUndefined();
    await drained('FRs acknowledged', () => waiting.filter((id) => pl.counters().ackSuccessByFr[id] !== 1));
    const c = pl.counters();
    for (const id of waiting) expect(c.ackAttemptsByFr[id], `ack attempts of FR ${id}`).toBe(1);
    expect(await neverStarted(pl, ackedElsewhere!)).toBe(true);
    expect(await neverStarted(pl, cancelled!)).toBe(true);
    // List-fed: each FR's first read came from the list the poll had just read.
    expect(c.requestsByEndpoint['fr.get'] ?? 0).toBe(0);
    expect(c.requestsByEndpoint['fr.acknowledge']).toBe(waiting.length);
  });

  it('falls back to POST once when the server refuses PATCH acknowledge, then keeps using POST', async () => {
    const pl = await e2e.start({
      seed: { count: 4 },
      simulator: { acknowledgeMethods: ['POST'] },
    });
    pl.sim.state.resetCounters();
    await pl.poll();
    await drained('FRs acknowledged', () => pl.frIds.filter((id) => pl.counters().ackSuccessByFr[id] !== 1));
    const c = pl.counters();
    // One 405 per FR at most (the first acknowledges race before the method is learned), never more.
    const refused = c.responsesByStatus['405'] ?? 0;
    expect(refused).toBeGreaterThanOrEqual(1);
    expect(refused).toBeLessThanOrEqual(pl.frIds.length);
    for (const id of pl.frIds) expect(c.ackSuccessByFr[id]).toBe(1);
  });
});

describe('the poller defends itself against a server that ignores the list query', () => {
  const e2e = pipelinePerTest();

  it('never starts an FR that is not waiting, says the filter was ignored and stops paging after one page', async () => {
    // The server speaks only the guide dialect: our reference filterStatus/filterPageNumber/filterPageSize
    // are ignored, so every FR comes back, unpaged by our page size (its own default page is 100).
    const pl = await e2e.start({
      seed: { count: 30, itemsPerFr: 1 },
      pageSize: 10,
      simulator: { listDialects: ['guide'] },
    });
    const notWaiting = pl.frIds.slice(0, 8);
    for (const id of notWaiting.slice(0, 4)) pl.sim.state.acknowledgeAsSomeoneElse(id);
    for (const id of notWaiting.slice(4, 6)) pl.sim.state.cancel(id);
    for (const id of notWaiting.slice(6)) pl.sim.state.void(id);
    const waiting = pl.frIds.slice(8);
    pl.sim.state.resetCounters();

    const summary = await pl.poll();
    expect(summary.filterIgnored).toMatch(/not waiting for this source/);
    expect(summary.filterIgnored).toMatch(/page size of 10/);
    expect(summary.pagesRead).toBe(1);
    expect(summary.notWaitingSkipped).toBe(notWaiting.length);
    expect(summary.childrenStarted).toBe(waiting.length);
    expect(pl.counters().requestsByEndpoint['fr.list']).toBe(1);
    for (const id of notWaiting) expect(await neverStarted(pl, id), `FR ${id}`).toBe(true);
    await drained('waiting FRs acknowledged', () =>
      waiting.filter((id) => pl.counters().ackSuccessByFr[id] !== 1),
    );
    // Nothing that was not waiting was written to.
    for (const id of notWaiting) expect(pl.counters().ackAttemptsByFr[id]).toBeUndefined();
  });

  async function neverStarted(pl: Pipeline, frId: number): Promise<boolean> {
    try {
      await pl.client.workflow.getHandle(pl.frWorkflowId(frId)).describe();
      return false;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return true;
      throw err;
    }
  }
});
