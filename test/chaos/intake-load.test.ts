import { afterEach, describe, expect, it } from 'vitest';
import { startIntakeServer, type RunningIntakeServer } from '../../intake/server';
import { frWorkflowId } from '../../common/ids';
import { outcomeOf } from '../helpers/pipeline';
import { allAcknowledged, useChaosSuite, type ChaosRun } from './harness';

// The shipment intake against a real worker process and the shared dev server, under what warehouses do
// over time: retry the same shipment thousands of times (Temporal allows 2,000 updates per workflow run),
// and post hundreds of shipments of one FR at once (Temporal allows 10 updates in flight per workflow).
// The intake must answer every request with 202 or with 503 + Retry-After, and every shipment must reach
// Flxpoint exactly once.

const TOKEN = 'chaos-intake-token-0123456789';

interface Answer {
  status: number;
  retryAfter: string | null;
  body: { status?: string; error?: string };
}

describe('shipment intake under retries and load', () => {
  const suite = useChaosSuite();
  let intake: RunningIntakeServer | undefined;
  afterEach(async () => {
    await intake?.close();
    intake = undefined;
  });

  async function start(quantity: number, itemsPerFr: number): Promise<{ run: ChaosRun; frId: number }> {
    const run = await suite.start({
      seed: { count: 1, itemsPerFr, quantity: { min: quantity, max: quantity } },
    });
    const frId = run.frIds[0]!;
    await allAcknowledged(run, [frId]);
    intake = await startIntakeServer({ client: run.client, port: 0, authTokens: [TOKEN] });
    return { run, frId };
  }

  const post = async (body: unknown): Promise<Answer> => {
    const r = await fetch(`${intake!.url}/shipments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(body),
    });
    return {
      status: r.status,
      retryAfter: r.headers.get('retry-after'),
      body: (await r.json()) as Answer['body'],
    };
  };

  /** Posts until the shipment is taken, honouring Retry-After; every answer on the way is kept. */
  const postUntilTaken = async (body: unknown, answers: Answer[]): Promise<Answer> => {
    for (;;) {
      const a = await post(body);
      answers.push(a);
      if (a.status !== 503 || a.retryAfter === null) return a;
      await new Promise((r) => setTimeout(r, Number(a.retryAfter) * 1000));
    }
  };

  async function inParallel<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
    const queue = [...items];
    await Promise.all(
      Array.from({ length: n }, async () => {
        for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
      }),
    );
  }

  it('answers 2,500 repeats of one shipment as duplicate without using up the update limit; the FR still ships', async () => {
    const { run, frId } = await start(1, 2);
    const [a, b] = (await run.status(frId)).items;
    const first = {
      sourceId: run.sourceId,
      fulfillmentRequestId: frId,
      trackingNumber: 'TN-REPEAT',
      items: [{ id: a!.id, quantity: 1 }],
    };
    expect(await post(first)).toMatchObject({ status: 202, body: { status: 'accepted' } });

    // A warehouse stuck in a retry loop: more repeats than Temporal's 2,000 updates per run.
    const answers: Answer[] = [];
    await inParallel(
      Array.from({ length: 2_500 }, (_, i) => i),
      4,
      async () => void (await postUntilTaken(first, answers)),
    );
    const taken = answers.filter((x) => x.status === 202);
    expect(taken).toHaveLength(2_500);
    expect(taken.every((x) => x.body.status === 'duplicate')).toBe(true);
    expect(answers.filter((x) => x.status !== 202).every((x) => x.status === 503 && x.retryAfter)).toBe(true);

    // The FR can still take its remaining shipment, and Flxpoint saw each tracking number once.
    const second = { ...first, trackingNumber: 'TN-LAST', items: [{ id: b!.id, quantity: 1 }] };
    expect(await post(second)).toMatchObject({ status: 202, body: { status: 'accepted' } });
    const done = await outcomeOf(run, frWorkflowId(run.sourceId, frId));
    expect(done.outcome).toBe('acknowledged_and_shipped');
    expect(run.counters().shipmentsByTrackingNumber).toMatchObject({ 'TN-REPEAT': 1, 'TN-LAST': 1 });
    expect(run.counters().shipmentsByFr[frId]).toBe(2);
  }, 600_000);

  it('500 shipments of one FR at concurrency 50: only 202 or 503 with Retry-After, each shipment taken exactly once', async () => {
    const n = 500;
    const { run, frId } = await start(n, 1);
    const [item] = (await run.status(frId)).items;
    const answers: Answer[] = [];
    const accepted = new Map<string, number>();
    await inParallel(
      Array.from({ length: n }, (_, i) => `TN-LOAD-${i}`),
      50,
      async (trackingNumber) => {
        const a = await postUntilTaken(
          {
            sourceId: run.sourceId,
            fulfillmentRequestId: frId,
            trackingNumber,
            items: [{ id: item!.id, quantity: 1 }],
          },
          answers,
        );
        if (a.status !== 202) {
          // Say why the FR refused: its refusals, conflicts and every shipment that was not created.
          const st = await run.status(frId);
          const odd = st.shipments.filter((x) => x.status !== 'created' && x.status !== 'pending');
          const why = {
            answer: a.body,
            refusals: st.refusals,
            conflicts: st.conflicts,
            odd,
            items: st.items,
          };
          expect.fail(`${trackingNumber}: ${JSON.stringify(why).slice(0, 4000)}`);
        }
        if (a.body.status === 'accepted')
          accepted.set(trackingNumber, (accepted.get(trackingNumber) ?? 0) + 1);
      },
    );
    const refusals = answers.filter((a) => a.status !== 202);
    expect(refusals.filter((a) => a.status !== 503 || !a.retryAfter)).toEqual([]);
    expect([...accepted.values()].every((c) => c === 1)).toBe(true);

    const done = await outcomeOf(run, frWorkflowId(run.sourceId, frId));
    expect(done.outcome).toBe('acknowledged_and_shipped');
    expect(done.shipments).toHaveLength(n);
    const byTn = run.counters().shipmentsByTrackingNumber;
    expect(Object.keys(byTn).filter((tn) => tn.startsWith('TN-LOAD-'))).toHaveLength(n);
    expect(Object.entries(byTn).filter(([, c]) => c !== 1)).toEqual([]);
  }, 600_000);
});
