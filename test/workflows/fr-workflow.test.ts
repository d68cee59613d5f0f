import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FrStatus } from '../../workflows/definitions';
import {
  createTimeSkippingEnv,
  fakeActivities,
  SOURCE_ID,
  SOURCE_KEY,
  withFakeWorkers,
  type Flx,
} from './support/fr-env';
import { FR_SCENARIOS, gatesFor, type FrScenario } from './support/fr-scenarios';
import { SETTLE_SCENARIOS } from './support/fr-settle-scenarios';

// Every branch of the FR workflow (and the poller) against the time-skipping test server with fake
// activities: outcome, status, which activities ran. Seconds, not minutes; the end-to-end suite
// (test/e2e) drives the same workflow against the simulator on top of these.
//
// RECORD_HISTORIES=<release> (scripts/record-histories.sh) also writes each history to
// test/fixtures/histories/<release>/<scenario>.pb for the replay guard (test/workflows/replay.test.ts).

const RECORD = process.env.RECORD_HISTORIES;
const HISTORIES = join(__dirname, '../fixtures/histories');

function record(name: string, history: temporal.api.history.v1.IHistory): void {
  if (!RECORD) return;
  if (!/^v\d+\.\d+\.\d+$/.test(RECORD))
    throw new Error(`RECORD_HISTORIES=${RECORD}: expected a release like v0.2.0`);
  const dir = join(HISTORIES, RECORD);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.pb`), temporal.api.history.v1.History.encode(history).finish());
}

describe('FR workflow, time-skipping', () => {
  let shared: TestWorkflowEnvironment;
  beforeAll(async () => {
    shared = await createTimeSkippingEnv();
  });
  afterAll(async () => shared?.teardown());

  for (const scenario of [...FR_SCENARIOS, ...SETTLE_SCENARIOS]) {
    it(`${scenario.name} → ${scenario.outcome}`, async () => {
      const env = scenario.skipsTime ? await createTimeSkippingEnv() : shared;
      try {
        await runScenario(env, scenario);
      } finally {
        if (env !== shared) await env.teardown();
      }
    });
  }

  async function runScenario(env: TestWorkflowEnvironment, scenario: FrScenario): Promise<void> {
    {
      const gates = gatesFor(scenario);
      const acts = fakeActivities(scenario.fakes(gates));
      await withFakeWorkers(env, acts, async (taskQueue) => {
        const handle = await env.client.workflow.start('processFulfillmentRequestWorkflow', {
          taskQueue,
          workflowId: `fr:${SOURCE_ID}:7:${scenario.name}`,
          args: [
            {
              sourceKey: SOURCE_KEY,
              sourceId: SOURCE_ID,
              frId: 7,
              frNumber: null,
              settings: { shipmentDeadlineMs: scenario.shipmentDeadlineMs ?? 7 * 24 * 3600_000 },
            },
          ],
        });
        let status: FrStatus | null = null;
        let error: unknown;
        try {
          await scenario.drive?.({ env, handle, gates, calls: acts.calls });
          status = (await handle.result()) as FrStatus;
        } catch (err) {
          error = err;
        } finally {
          // An activity an operator cut short still runs; let it end so the worker can shut down.
          for (const g of Object.values(gates)) g.open();
        }
        if (scenario.outcome === 'workflow_failed') expect(error).toBeDefined();
        else {
          if (error) throw error;
          expect(status!.outcome).toBe(scenario.outcome);
          expect(status!.step).toBe('done');
          expect(acts.calls.at(-1)).toMatchObject({
            name: 'recordFrOutcome',
            input: { outcome: scenario.outcome },
          });
        }
        scenario.check?.(status, acts.calls, error);
        record(scenario.name, await handle.fetchHistory());
      });
    }
  }

  it('poll: lists pages, starts one FR workflow per FR, counts known and malformed ones → poll', async () => {
    const pages: Awaited<ReturnType<Flx['listNewFulfillmentRequests']>>[] = [
      {
        refs: [
          { id: 1, number: 'FR-1' },
          { id: 2, number: 'FR-2' },
        ],
        malformed: [{ id: 9, problem: 'fulfillmentRequestItems: is required' }],
        rawCount: 3,
      },
      { refs: [{ id: 3, number: null }], malformed: [], rawCount: 1 },
      // second pass (FRs were found on two pages): nothing new
      {
        refs: [
          { id: 1, number: 'FR-1' },
          { id: 2, number: 'FR-2' },
        ],
        malformed: [],
        rawCount: 2,
      },
    ];
    const acts = fakeActivities({
      flxpoint: {
        async listNewFulfillmentRequests() {
          return pages.shift() ?? { refs: [], malformed: [], rawCount: 0 };
        },
        // The children wait quietly: their FR is cancelled upstream.
        async fetchFulfillmentRequest({ frId }) {
          return { id: frId, statusHandle: 'canceled', fulfillmentRequestItems: [] };
        },
      },
    });
    const env = shared;
    await withFakeWorkers(env, acts, async (taskQueue) => {
      const summary = await env.client.workflow.execute('pollFulfillmentRequestsWorkflow', {
        taskQueue,
        workflowId: `poll-${taskQueue}`,
        args: [
          {
            sourceKey: SOURCE_KEY,
            sourceId: SOURCE_ID,
            pageSize: 3,
            newStatus: 'NEW',
            maxFrsPerRun: 100,
            fr: { shipmentDeadlineMs: 3600_000 },
          },
        ],
      });
      expect(summary).toMatchObject({
        pagesRead: 3,
        frsSeen: 3,
        childrenStarted: 3,
        passes: 2,
        truncated: false,
      });
      expect((summary as { malformed: unknown[] }).malformed).toHaveLength(1);
      record('poll', await env.client.workflow.getHandle(`poll-${taskQueue}`).fetchHistory());
      for (const id of [1, 2, 3]) {
        const s = (await env.client.workflow.getHandle(`fr:${SOURCE_ID}:${id}`).result()) as FrStatus;
        expect(s.outcome).toBe('cancelled_upstream');
      }
    });
  });

  /** Runs one poll against scripted list pages; the children end at once (cancelled upstream). */
  async function pollWith(
    pages: Awaited<ReturnType<Flx['listNewFulfillmentRequests']>>[],
    extra: Record<string, unknown>,
  ) {
    const acts = fakeActivities({
      flxpoint: {
        async listNewFulfillmentRequests() {
          return pages.shift() ?? { refs: [], malformed: [], rawCount: 0 };
        },
        async fetchFulfillmentRequest({ frId }) {
          return { id: frId, statusHandle: 'canceled', fulfillmentRequestItems: [] };
        },
      },
    });
    const env = shared;
    return withFakeWorkers(env, acts, (taskQueue) =>
      env.client.workflow.execute('pollFulfillmentRequestsWorkflow', {
        taskQueue,
        workflowId: `poll-${taskQueue}`,
        args: [
          {
            sourceKey: SOURCE_KEY,
            sourceId: SOURCE_ID,
            pageSize: 10,
            newStatus: 'Processing,Processed',
            maxFrsPerRun: 100,
            fr: { shipmentDeadlineMs: 3600_000 },
            ...extra,
          },
        ],
      }),
    );
  }

  it('poll: a look that started FRs is followed by another after repollAfterMs, until one finds nothing new', async () => {
    const ref = (id: number) => ({ id, number: `FR-${id}` });
    const summary = await pollWith(
      [
        { refs: [ref(101), ref(102)], malformed: [], rawCount: 2 },
        // arrived meanwhile
        { refs: [ref(101), ref(102), ref(104)], malformed: [], rawCount: 3 },
        { refs: [ref(101), ref(102), ref(104)], malformed: [], rawCount: 3 },
      ],
      { repollAfterMs: 10_000, pollIntervalMs: 60_000 },
    );
    expect(summary).toMatchObject({ childrenStarted: 3, frsSeen: 3, pagesRead: 3, repolls: 2 });
  });

  it('poll: a page showing the server ignored the query ends the poll (no further page, no re-poll) and says why', async () => {
    const summary = await pollWith(
      [
        {
          refs: [{ id: 201, number: null }],
          malformed: [],
          rawCount: 25,
          notWaiting: 24,
          filterIgnored: '24 of 25 FRs on the page are not waiting for this source (24 acknowledged)',
        },
        { refs: [{ id: 202, number: null }], malformed: [], rawCount: 10 },
      ],
      { repollAfterMs: 10_000, pollIntervalMs: 60_000 },
    );
    expect(summary).toMatchObject({
      pagesRead: 1,
      childrenStarted: 1,
      notWaitingSkipped: 24,
      filterIgnored: expect.stringMatching(/not waiting for this source/),
    });
    expect(summary).not.toHaveProperty('repolls');
  });

  it('poll: a later page that repeats the FRs of an earlier one (page number ignored) ends the walk', async () => {
    const refs = Array.from({ length: 10 }, (_, i) => ({ id: 301 + i, number: null }));
    const summary = await pollWith(
      [
        { refs, malformed: [], rawCount: 10 },
        { refs, malformed: [], rawCount: 10 },
        { refs, malformed: [], rawCount: 10 },
      ],
      {},
    );
    expect(summary).toMatchObject({
      pagesRead: 2,
      childrenStarted: 10,
      filterIgnored: expect.stringMatching(/page number is ignored/),
    });
  });
});
