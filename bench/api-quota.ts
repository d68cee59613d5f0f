import { Pool } from 'undici';
import { FlxpointClient } from '../activities/flxpoint/client';
import { PROCESSING_STATUS_NAMES } from '../simulator/model';
import { tokenFingerprint } from '../simulator/state';
import {
  flags,
  list,
  machine,
  main,
  pool,
  shipAll,
  sleep,
  startDevServer,
  startSchedules,
  startSimulatorProcess,
  startWorker,
  table,
  waitFor,
} from './lib/harness';

// Flxpoint API quota: requests per FR fully processed (list + get + ack + shipment) and per idle poll cycle,
// for our poller and for the naive "full mirror" the polling guide warns about (every page of every status
// every cycle, diffed locally), with 1k / 10k / 100k FRs of history already in Flxpoint (acknowledged, some
// shipped). Request counts do not depend on the rate, so the simulator's limit is off and the worker's
// budget raised to finish quickly; the time a naive cycle would take at the real 2 req/s is computed.

const USAGE = `npx tsx bench/api-quota.ts [--new-frs 200] [--histories 1000,10000,100000] [--rate 100]
  [--poll 5s] [--idle-seconds 20]`;
const f = flags(
  { 'new-frs': '200', histories: '1000,10000,100000', rate: '100', poll: '5s', 'idle-seconds': '20' },
  USAGE,
);
const NEW_FRS = Number(f['new-frs']);
const SOURCE_ID = 1001;
const TOKEN = 'bench-token';
const NAIVE_TOKEN = 'naive-token';

type ListPage = { id: number; lastModifiedAt: string }[];

/** The anti-pattern: walk every page of every status, diff against a local mirror. */
async function naiveCycle(
  http: Pool,
  mirror: Map<number, string>,
): Promise<{ requests: number; changed: number }> {
  let requests = 0;
  let changed = 0;
  for (const status of Object.keys(PROCESSING_STATUS_NAMES)) {
    for (let page = 1; ; page++) {
      const res = await http.request({
        method: 'GET',
        path: `/fulfillment-requests?filterStatus=${encodeURIComponent(status)}&filterPageNumber=${page}&filterPageSize=100`,
        headers: { 'x-api-token': NAIVE_TOKEN },
      });
      requests++;
      const body = (await res.body.json()) as ListPage;
      for (const fr of body) {
        if (mirror.get(fr.id) !== fr.lastModifiedAt) changed++;
        mirror.set(fr.id, fr.lastModifiedAt);
      }
      if (body.length < 100) break;
    }
  }
  return { requests, changed };
}

main(async () => {
  const started = Date.now();
  const sim = await startSimulatorProcess([
    '--seed-count',
    '0',
    '--no-rate-limit',
    '--token',
    `${TOKEN}=${SOURCE_ID}`,
    '--token',
    `${NAIVE_TOKEN}=${SOURCE_ID}`,
  ]);
  const dev = await startDevServer();
  const worker = await startWorker({
    temporalAddress: dev.address,
    simUrl: sim.url,
    sources: [{ key: 'main', sourceId: SOURCE_ID, token: TOKEN }],
    requestsPerSecond: Number(f.rate),
    pollInterval: f.poll,
    taskQueue: 'bench-quota',
  });
  await startSchedules(dev.client, worker.config);
  const http = new Pool(sim.url, { connections: 32 });
  const someoneElse = new FlxpointClient({ baseUrl: sim.url, token: NAIVE_TOKEN });
  const ours = tokenFingerprint(TOKEN);
  const rows: Record<string, string | number>[] = [];
  let history = 0;
  const scheduleActions = async () =>
    (await dev.client.schedule.getHandle('flxpoint-poll:main').describe()).info.numActionsTaken;

  for (const target of list(f.histories)) {
    // The FRs processed in earlier steps count as history too (acknowledged and shipped).
    // History: FRs already acknowledged by someone else; one in ten also shipped.
    if (target > history) {
      // Paused while the history is prepared: seeded FRs are NEW until acknowledged, and a poll in
      // between would (rightly) take them as new work and skew the idle measurement.
      const schedule = dev.client.schedule.getHandle('flxpoint-poll:main');
      await schedule.pause('bench: preparing history');
      await sleep(3_000);
      const ids: number[] = [];
      for (let left = target - history; left > 0; left -= 20_000)
        ids.push(
          ...(await sim.admin.seed({ count: Math.min(left, 20_000), itemsPerFr: 1, sourceId: SOURCE_ID }))
            .ids,
        );
      await pool(ids, 64, (id) => sim.admin.acknowledgeAsSomeoneElse(id));
      await pool(
        ids.filter((_, i) => i % 10 === 0),
        32,
        async (id) => {
          const { fr } = await sim.admin.getFr(id);
          await someoneElse.createShipment({
            fulfillmentRequestId: id,
            sourceId: SOURCE_ID,
            shipment: {
              trackingNumber: `HIST-${id}`,
              shipmentItems: fr.fulfillmentRequestItems.map((i) => ({
                fulfillmentRequestItemId: i.id,
                quantity: i.quantity,
              })),
            },
          });
        },
      );
      history = target;
      await schedule.unpause();
    }

    // Idle: nothing NEW. Our cost per poll run.
    await sleep(2_000);
    await sim.admin.resetCounters();
    const a0 = await scheduleActions();
    await sleep(Number(f['idle-seconds']) * 1000);
    const idle = await sim.admin.counters();
    const polls = (await scheduleActions()) - a0;
    const idlePerPoll = (idle.requestsByToken[ours] ?? 0) / Math.max(1, polls);

    // The naive mirror over the same history: first cycle fills the mirror, the second is the steady state.
    await sim.admin.resetCounters();
    const mirror = new Map<number, string>();
    await naiveCycle(http, mirror);
    const n0 = Date.now();
    const steady = await naiveCycle(http, mirror);
    const naiveSeconds = (Date.now() - n0) / 1000;

    // N new FRs, processed end to end: acknowledged, then shipped through the addShipment update.
    await sim.admin.resetCounters();
    const fresh = (await sim.admin.seed({ count: NEW_FRS, itemsPerFr: 2, sourceId: SOURCE_ID })).ids;
    const t0 = Date.now();
    await waitFor(
      `${NEW_FRS} FRs acknowledged`,
      async () => Object.keys((await sim.admin.counters()).ackSuccessByFr).length >= NEW_FRS,
      600_000,
      1000,
    );
    await pool(fresh, 16, (id) => shipAll(dev.client, SOURCE_ID, id));
    await waitFor(
      `${NEW_FRS} FRs shipped`,
      async () => Object.keys((await sim.admin.counters()).shipmentsByFr).length >= NEW_FRS,
      600_000,
      1000,
    );
    const drainSeconds = (Date.now() - t0) / 1000;
    const processedAt = history;
    history += NEW_FRS;
    const c = await sim.admin.counters();
    const ep = (k: string) => (c.requestsByEndpoint[k] ?? 0) / NEW_FRS;

    rows.push({
      'FRs already in Flxpoint': processedAt,
      'ours: requests per idle poll': Number(idlePerPoll.toFixed(2)),
      'ours: requests per FR (list+get+ack+ship)': Number(
        ((c.requestsByToken[ours] ?? 0) / NEW_FRS).toFixed(2),
      ),
      'list / get / ack / ship per FR': `${ep('fr.list').toFixed(3)} / ${ep('fr.get').toFixed(2)} / ${ep('fr.acknowledge').toFixed(2)} / ${ep('shipment.create').toFixed(2)}`,
      [`ours: ${NEW_FRS} FRs drained in s`]: Number(drainSeconds.toFixed(1)),
      'naive: requests per idle cycle': steady.requests,
      'naive: one cycle at 2 req/s, s': steady.requests / 2,
      'naive: cycle wall time here (no limit), s': Number(naiveSeconds.toFixed(1)),
      'idle requests/day at 60 s, ours vs naive': `${Math.round(idlePerPoll * 1440)} vs ${(steady.requests * 1440).toLocaleString('en-US')}`,
    });
  }
  await http.close();
  process.stdout.write(
    `api-quota: ${NEW_FRS} new FRs per step, worker budget ${f.rate} req/s (simulator limit off), poll every ${f.poll}; ${machine()}; ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
  );
  table('API requests: our poller vs a naive full mirror', rows);
});
