import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InventorySyncInput, InventorySyncSummary } from '../../workflows/inventory-sync';
import { pipelinePerTest } from '../helpers/pipeline';

// How Flxpoint reads the SKU list of GET /inventory/variants?skus= is undocumented (comma-joined or the
// parameter repeated), and a server reading the other form answers 200 with no variant: every SKU would
// look unknown and never be pushed. The simulator is set to each reading in turn; the worker starts with
// its default (comma) every time, and a first push must reach every SKU, paying a few extra lookups at
// most: one probe in the other form, and one for each lookup in flight (the sync's window) meanwhile.

const N = 650; // 7 lookups of 100, 13 PUTs of 50
const sku = (i: number) => `SKU-${String(i).padStart(6, '0')}`;
let dir: string;
let file: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'inventory-sku-form-'));
  file = join(dir, 'stock.csv');
  const lines = ['sku,quantity'];
  for (let i = 1; i <= N; i++) lines.push(`${sku(i)},${(i % 9) + 1}`);
  writeFileSync(file, lines.join('\n') + '\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(['both', 'comma', 'repeat'] as const)('Flxpoint reading SKU lists as %s', (form) => {
  const e2e = pipelinePerTest();

  it('a first push finds and pushes every SKU', async () => {
    const p = await e2e.start({ startWorkers: false, simulator: { arrayQueryForm: form } });
    p.sim.state.seedInventory({ count: N, sourceId: p.sourceId, quantity: 0 });
    p.config.sources[0]!.stockSource = `file:${file}`;
    await p.startWorkers();
    const input: InventorySyncInput = { sourceKey: p.sourceKey, sourceId: p.sourceId };
    const summary = (await p.client.workflow.execute('inventorySyncWorkflow', {
      taskQueue: p.config.temporal.taskQueue,
      workflowId: `inventory-sync:${p.sourceKey}-form-${form}`,
      args: [input],
    })) as InventorySyncSummary;
    expect(summary).toMatchObject({ read: N, changed: N, unknown: 0, pushed: N, failed: 0 });
    for (const i of [1, 100, N])
      expect(p.sim.state.inventory.bySku(p.sourceId, sku(i))?.quantity).toBe((i % 9) + 1);
    const gets = p.counters().requestsByEndpoint['inventory.variants.list'] ?? 0;
    // One lookup per 100 SKUs; reading `repeat`, some asked again in the other form until it is learned.
    const lookups = Math.ceil(N / 100);
    if (form === 'repeat') {
      expect(gets).toBeGreaterThan(lookups);
      // One probe, and one more GET for each lookup already in flight (the window, 4) when it was learned.
      expect(gets).toBeLessThanOrEqual(lookups + 4);
    } else expect(gets).toBe(lookups);
    expect(summary.requests).toBe(gets + Math.ceil(N / 50));
  }, 120_000);
});
