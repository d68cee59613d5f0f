import { Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ArrayQueryStyle, FlxpointClient } from '../flxpoint/client';
import {
  FlxpointError,
  INVENTORY_CALL_BACKOFF,
  INVENTORY_URGENT_CALL_BACKOFF,
  type RetryBackoff,
} from '../flxpoint/errors';
import { itemErrorText } from '../flxpoint/inventory-schemas';
import { createFlxpointCall, type FlxpointActivityMetrics, flxpointFailure } from '../flxpoint-call';
import type { RequestPacer } from '../request-pacer';
import type { InventoryStore, StagedRow } from '../../store/inventory-store';
import {
  type RowProblem,
  type StockPage,
  type StockRow,
  type StockSource,
  StockSourceError,
} from '../../stock-sources/types';
import { SkuQueryStyle } from './sku-query-style';
import { confirmedState, type DisappearedPolicy, disappearedRow, stockChanged } from './delta';
import { buildVariantUpdate, flxpointStockFields, MAX_VARIANTS_PER_PUT } from './variant-update';

// The inventory sync's activities, created once per source (its client, token, stock source and store).
// The catalog stays out of workflow histories: staging reads the whole snapshot and writes the delta to the
// store (inventory_sync_rows, keyed by the run), every later step reads its slice from there, and the
// workflow only sees counts and the batch cursor. Each activity that talks to Flxpoint sends exactly one
// request (or none), so the source queue's rate limit counts them like the FR calls.

/** Rows read from the stock source per page (and looked up in the store per query). */
const READ_PAGE_SIZE = 1000;
/**
 * SKUs asked per `GET /inventory/variants?skus=` (the reference allows as many as the page size; 100 is the
 * page size public clients use). Measured: a first push of 100,000 SKUs at 50 per lookup spent 2,000 lookups
 * beside its 2,000 PUTs; 100 halves that.
 */
const DISCOVERY_PAGE_SIZE = 100;
/** Parents per `POST /inventory/parents` (the documented maximum). */
const PARENTS_PER_POST = 20;
/** What a summary carries of bad rows and unknown SKUs: enough to act on, never the catalog. */
export const SAMPLE_SIZE = 20;
/** Staged rows of a run that never finished are dropped after this. */
const STALE_RUN_MS = 7 * 24 * 3600_000;

export type InventoryCount =
  'pushed' | 'unchanged' | 'failed' | 'unknown' | 'created' | 'bad_row' | 'disappeared';

export interface InventoryMetrics {
  /** Variants by what happened to them in a sync (flxpoint_inventory_variants{result,source}). */
  inventory?(result: InventoryCount, n: number, sourceKey: string): void;
  /** A scheduled sync finished (flxpoint_inventory_last_sync{source}, unix seconds): alert on its age. */
  inventorySyncFinished?(sourceKey: string, unixSeconds: number): void;
}

export interface InventorySyncDeps {
  sourceId: number;
  sourceKey: string;
  client: FlxpointClient;
  store: InventoryStore;
  stockSource: StockSource;
  disappeared: DisappearedPolicy;
  /** The form of the SKU list in lookups to try first (default `comma`); learned from answers after that. */
  skuQueryStyle?: ArrayQueryStyle;
  /** Create SKUs Flxpoint does not know through POST /inventory/parents (INVENTORY_CREATE_UNKNOWN). */
  createUnknown?: boolean;
  pacer?: RequestPacer;
  metrics?: FlxpointActivityMetrics & InventoryMetrics;
}

export interface StageResult {
  /** Valid rows the stock source gave. */
  read: number;
  badRows: number;
  /** The first bad rows, with where they were and why. */
  problems: RowProblem[];
  unchanged: number;
  /** Rows whose stock differs from what Flxpoint last confirmed (pushed this run). */
  changed: number;
  /** SKUs gone from the source, staged to be set to 0 (policy `zero`). */
  disappeared: number;
  stockSource: string;
}

export interface DiscoverResult {
  /** SKUs asked about (0: the page was looked up already, no request was sent). */
  looked: number;
  /** GETs sent: 1, or 2 while the SKU list form is being learned (sku-query-style.ts); 0 with nothing to ask. */
  requests: number;
  found: number;
  unknown: number;
  unknownSample: string[];
}

export interface CreateResult {
  /** SKUs sent to POST /inventory/parents (0: nothing to create, or creation is off; no request sent). */
  tried: number;
  created: number;
  failed: number;
  failures: { sku: string; error: string }[];
  /** More unknown SKUs may wait: call again. */
  more: boolean;
}

export interface PushResult {
  /** 1 when a PUT was sent, 0 when the batch was already settled (a retry after a crash). */
  requests: number;
  confirmed: number;
  failed: number;
  failures: { sku: string; error: string }[];
}

export interface FinishResult {
  counts: Record<string, number>;
  unknownSample: string[];
}

export function createInventorySyncActivities(deps: InventorySyncDeps) {
  const { store, sourceId, sourceKey } = deps;
  const count = (result: InventoryCount, n: number) => {
    if (n > 0) deps.metrics?.inventory?.(result, n, sourceKey);
  };

  // Paced and measured like the FR calls. A transient failure is retried after a jittered delay within the
  // policy the calling workflow gives the activity: INVENTORY_RETRY for the scheduled sync, the shorter
  // INVENTORY_URGENT_RETRY for the urgent ones (resolveUrgentVariantIds, pushUrgentVariants).
  const flxpoint = createFlxpointCall(deps);
  const failure = (err: unknown) => flxpointFailure(err, INVENTORY_CALL_BACKOFF);

  // The form of the `skus` list Flxpoint reads, learned from its answers (sku-query-style.ts), per process.
  const skuStyle = new SkuQueryStyle(deps.skuQueryStyle ?? 'comma', (from, to) =>
    log.warn(
      `Flxpoint did not read the SKU list of GET /inventory/variants as skus=${example(from)} but found ` +
        `SKUs asked as skus=${example(to)}: using that form from now on (source ${sourceKey})`,
      { sourceKey, from, to },
    ),
  );

  /**
   * `GET /inventory/variants?skus=` for up to 100 SKUs (twice while the list form is being learned): the ids
   * Flxpoint has for those SKUs of this source (a variant of another source with the same SKU is not ours).
   * Shared by the scheduled discovery and the urgent path.
   */
  async function lookUpVariants(
    skus: string[],
    backoff: RetryBackoff | undefined,
  ): Promise<{ found: { sku: string; variantId: number }[]; requests: number }> {
    const wanted = new Set(skus);
    return skuStyle.lookUp(skus, async (asked, arrayStyle) => {
      const res = await flxpoint.call(
        'inventory-list',
        () =>
          deps.client.listInventoryVariants({
            page: 1,
            pageSize: DISCOVERY_PAGE_SIZE,
            skus: asked,
            arrayStyle,
          }),
        backoff,
      );
      return res.items
        .filter((v) => wanted.has(v.sku) && (v.sourceId == null || v.sourceId === sourceId))
        .map((v) => ({ sku: v.sku, variantId: v.id }));
    });
  }

  return {
    /**
     * Reads the whole snapshot page by page, compares each row with what Flxpoint last confirmed, and
     * stages the changed rows (and, with policy `zero`, the SKUs that disappeared) for this run. A retried
     * attempt starts over: nothing was pushed before staging finished.
     */
    async stageInventoryDelta(input: { runKey: string }): Promise<StageResult> {
      await store.clearRun(input.runKey);
      await store.pruneRuns(STALE_RUN_MS);
      const seen = new Set<string>();
      const out: StageResult = {
        read: 0,
        badRows: 0,
        problems: [],
        unchanged: 0,
        changed: 0,
        disappeared: 0,
        stockSource: deps.stockSource.name,
      };
      for await (const page of readStock(deps.stockSource, READ_PAGE_SIZE)) {
        heartbeat();
        out.badRows += page.problems.length;
        for (const p of page.problems) if (out.problems.length < SAMPLE_SIZE) out.problems.push(p);
        if (page.rows.length === 0) continue;
        const states = await store.statesOf(
          sourceId,
          page.rows.map((r) => r.sku),
        );
        const staged: StagedRow[] = [];
        for (const row of page.rows) {
          out.read++;
          seen.add(row.sku);
          const state = states.get(row.sku);
          if (!stockChanged(row, state?.pushed ?? undefined)) {
            out.unchanged++;
            continue;
          }
          staged.push({ sku: row.sku, row, variantId: state?.variantId ?? null, disappeared: false });
        }
        out.changed += staged.length;
        await store.stage(input.runKey, sourceId, staged);
      }
      let after = '';
      for (;;) {
        const pushed = await store.pushedAfter(sourceId, after, READ_PAGE_SIZE);
        if (pushed.length === 0) break;
        after = pushed.at(-1)!.sku;
        const staged: StagedRow[] = [];
        for (const s of pushed) {
          if (seen.has(s.sku) || !s.pushed) continue;
          const row = disappearedRow(s.sku, s.pushed, deps.disappeared);
          if (row) staged.push({ sku: s.sku, row, variantId: s.variantId, disappeared: true });
        }
        out.disappeared += staged.length;
        await store.stage(input.runKey, sourceId, staged);
      }
      if (out.badRows > 0) {
        log.warn(
          `stock source ${deps.stockSource.name}: ${out.badRows} bad row(s) skipped, not pushed; fix them at the source`,
          { sourceKey, problems: out.problems },
        );
      }
      count('bad_row', out.badRows);
      count('unchanged', out.unchanged);
      count('disappeared', out.disappeared);
      return out;
    },

    /**
     * Numbers the staged SKUs without a variant id into lookup pages of 100 (once per run), so the workflow
     * can keep several lookups in flight, each on its own page.
     */
    async planInventoryLookups(input: { runKey: string }): Promise<{ pages: number }> {
      return { pages: await store.planLookups(input.runKey, DISCOVERY_PAGE_SIZE) };
    },

    /**
     * Learns the variant ids of one lookup page (up to 100 staged SKUs Flxpoint has not given us yet): one
     * `GET /inventory/variants?skus=`. Found ids are cached per SKU (never asked again); SKUs Flxpoint does
     * not return are unknown to it, reported and left out of this run. A retry of a page already recorded
     * sends nothing.
     */
    async discoverInventoryVariants(input: { runKey: string; page: number }): Promise<DiscoverResult> {
      const skus = await store.lookupPage(input.runKey, input.page);
      if (skus.length === 0) return { looked: 0, found: 0, unknown: 0, unknownSample: [], requests: 0 };
      const { found, requests } = await lookUpVariants(skus, INVENTORY_CALL_BACKOFF);
      await store.resolveIds(input.runKey, sourceId, skus, found);
      const foundSkus = new Set(found.map((f) => f.sku));
      const unknown = skus.filter((s) => !foundSkus.has(s));
      if (unknown.length > 0) {
        log.warn(
          deps.createUnknown
            ? `Flxpoint does not know ${unknown.length} SKU(s) of source ${sourceKey}: creating them ` +
                '(INVENTORY_CREATE_UNKNOWN=true)'
            : `Flxpoint does not know ${unknown.length} SKU(s) of source ${sourceKey}: not pushed. Create ` +
                'them in Flxpoint, set INVENTORY_CREATE_UNKNOWN=true to let the sync create them, or fix ' +
                'the SKU at the stock source; they are looked up again next run',
          { sourceKey, skus: unknown.slice(0, SAMPLE_SIZE) },
        );
      }
      count('unknown', unknown.length);
      return {
        looked: skus.length,
        requests,
        found: found.length,
        unknown: unknown.length,
        unknownSample: unknown.slice(0, SAMPLE_SIZE),
      };
    },

    /**
     * With INVENTORY_CREATE_UNKNOWN, creates up to 20 SKUs this run found unknown: one
     * `POST /inventory/parents`, a parent of one variant per SKU (parent and variant SKU alike, titled by the
     * SKU, with the row's stock). Created SKUs get their variant id from the answer and join the run's
     * batches like any other (a PUT of the same absolute values follows, harmless); a SKU whose creation
     * failed stays unknown for this run (logged with Flxpoint's reason) and is tried again next run. The
     * POST is an upsert by SKU (the reference's "create or update"), so a retry never duplicates.
     */
    async createUnknownInventoryVariants(input: { runKey: string }): Promise<CreateResult> {
      const none: CreateResult = { tried: 0, created: 0, failed: 0, failures: [], more: false };
      if (!deps.createUnknown) return none;
      const rows = await store.unknownToCreate(input.runKey, PARENTS_PER_POST);
      if (rows.length === 0) return none;
      const body = rows.map(({ sku, row }) => ({
        sku,
        title: sku,
        variants: [{ sku, title: sku, ...flxpointStockFields(row) }],
      }));
      const failures: { sku: string; error: string }[] = [];
      const created: { sku: string; variantId: number }[] = [];
      try {
        const results = await flxpoint.callRaw('inventory-parents', () =>
          deps.client.upsertInventoryParents(body),
        );
        const byParent = new Map(results.map((r) => [r.sku ?? '', r]));
        for (const { sku } of rows) {
          const parent = byParent.get(sku);
          const variant = parent?.variants?.find((v) => v.sku === sku);
          const id = variant?.id ?? variant?.inventoryVariantId;
          if (variant?.success && id != null) created.push({ sku, variantId: id });
          else
            failures.push({
              sku,
              error: !parent
                ? 'Flxpoint returned no result for this parent'
                : variant
                  ? itemErrorText(variant.errors)
                  : itemErrorText(parent.errors ?? 'no variant result'),
            });
        }
      } catch (err) {
        // A refusal of the whole request is recorded for its SKUs (tried again next run); anything
        // transient is retried now.
        if (!(err instanceof FlxpointError) || err.retryable) throw failure(err);
        const error = `the whole request was refused: ${err.message}`.slice(0, 500);
        for (const { sku } of rows) failures.push({ sku, error });
      }
      await store.recordCreated(
        input.runKey,
        sourceId,
        rows.map((r) => r.sku),
        created,
      );
      if (failures.length > 0) {
        log.warn(
          `could not create ${failures.length} SKU(s) of source ${sourceKey} in Flxpoint; tried again next run`,
          { sourceKey, failures: failures.slice(0, SAMPLE_SIZE) },
        );
      }
      count('created', created.length);
      return {
        tried: rows.length,
        created: created.length,
        failed: failures.length,
        failures: failures.slice(0, SAMPLE_SIZE),
        more: rows.length === PARENTS_PER_POST,
      };
    },

    /** Numbers the rows to push into batches of 50; returns how many batches there are. */
    async planInventoryBatches(input: { runKey: string }): Promise<{ batches: number }> {
      return { batches: await store.planBatches(input.runKey, MAX_VARIANTS_PER_PUT) };
    },

    /**
     * Pushes one batch: one `PUT /inventory/variants`, then, in one store transaction, the confirmed rows
     * become the SKUs' pushed state and failed ones keep their old state (so the next run pushes them
     * again) and forget their variant id (a stale id is learned again). A retry after the batch was settled
     * sends nothing; a retry before that sends the same absolute values again, which is harmless.
     */
    async pushInventoryBatch(input: { runKey: string; batch: number }): Promise<PushResult> {
      const rows = (await store.batchRows(input.runKey, sourceId, input.batch)).filter(
        (r) => r.status === 'pending' && r.variantId !== null,
      );
      if (rows.length === 0) return { requests: 0, confirmed: 0, failed: 0, failures: [] };
      const update = buildVariantUpdate(rows.map((r) => ({ row: r.row, inventoryVariantId: r.variantId! })));
      let results;
      try {
        results = (
          await flxpoint.callRaw('inventory-update', () =>
            deps.client.updateInventoryVariants(update.query, update.body),
          )
        ).results;
      } catch (err) {
        // A refusal of the whole request (a 4xx, or an answer we cannot read) fails every row of the batch
        // alone: recorded, retried next run with ids learned again. Anything transient is retried now.
        if (!(err instanceof FlxpointError) || err.retryable) throw failure(err);
        const error = `the whole batch was refused: ${err.message}`.slice(0, 500);
        const failures = rows.map((r) => ({ sku: r.sku, error }));
        await store.settleBatch(input.runKey, sourceId, {
          confirmed: [],
          failed: failures,
          staleIds: rows.map((r) => r.sku),
        });
        log.warn(`inventory batch ${input.batch} of source ${sourceKey} refused by Flxpoint`, {
          sourceKey,
          batch: input.batch,
          error,
        });
        count('failed', rows.length);
        return { requests: 1, confirmed: 0, failed: rows.length, failures: failures.slice(0, SAMPLE_SIZE) };
      }
      const byId = new Map<number, (typeof rows)[number]>(rows.map((r) => [r.variantId!, r]));
      const bySku = new Map(rows.map((r) => [r.sku, r]));
      const outcome = new Map<string, string | null>(); // sku → null (confirmed) or the error
      if (results === null) {
        for (const r of rows) outcome.set(r.sku, null);
      } else {
        for (const res of results) {
          const id = res.inventoryVariantId ?? res.id;
          const row = (id != null ? byId.get(id) : undefined) ?? (res.sku ? bySku.get(res.sku) : undefined);
          if (!row) continue;
          outcome.set(row.sku, res.success ? null : itemErrorText(res.errors));
        }
        for (const r of rows)
          if (!outcome.has(r.sku)) outcome.set(r.sku, 'Flxpoint returned no result for this variant');
      }
      const confirmed = rows
        .filter((r) => outcome.get(r.sku) === null)
        .map((r) => ({
          sku: r.sku,
          variantId: r.variantId!,
          pushed: confirmedState(r.row, r.pushed ?? undefined),
        }));
      const failures = rows
        .filter((r) => outcome.get(r.sku) !== null)
        .map((r) => ({ sku: r.sku, error: outcome.get(r.sku)! }));
      await store.settleBatch(input.runKey, sourceId, {
        confirmed,
        failed: failures,
        staleIds: failures.map((f) => f.sku),
      });
      if (failures.length > 0) {
        log.warn(
          `inventory batch ${input.batch} of source ${sourceKey}: ${failures.length} variant(s) failed inside ` +
            'a 2xx; recorded and pushed again next run',
          { sourceKey, batch: input.batch, failures: failures.slice(0, SAMPLE_SIZE) },
        );
      }
      count('pushed', confirmed.length);
      count('failed', failures.length);
      return {
        requests: 1,
        confirmed: confirmed.length,
        failed: failures.length,
        failures: failures.slice(0, SAMPLE_SIZE),
      };
    },

    /**
     * Urgent pushes: the variant ids of a few SKUs, from the store, and for those it has none of, one
     * `GET /inventory/variants?skus=` (found ids are cached). `unknown`: SKUs Flxpoint does not have.
     */
    async resolveUrgentVariantIds(input: {
      skus: string[];
    }): Promise<{ ids: Record<string, number>; unknown: string[]; requests: number }> {
      const states = await store.statesOf(sourceId, input.skus);
      const ids: Record<string, number> = {};
      for (const [sku, st] of states) if (st.variantId !== null) ids[sku] = st.variantId;
      const missing = input.skus.filter((s) => ids[s] === undefined).slice(0, DISCOVERY_PAGE_SIZE);
      if (missing.length === 0) return { ids, unknown: [], requests: 0 };
      const { found, requests } = await lookUpVariants(missing, INVENTORY_URGENT_CALL_BACKOFF);
      await store.cacheVariantIds(sourceId, found);
      for (const f of found) ids[f.sku] = f.variantId;
      const unknown = missing.filter((s) => ids[s] === undefined);
      if (unknown.length > 0) {
        log.warn(`urgent push: Flxpoint does not know ${unknown.length} SKU(s) of source ${sourceKey}`, {
          sourceKey,
          skus: unknown,
        });
      }
      count('unknown', unknown.length);
      return { ids, unknown, requests };
    },

    /**
     * Urgent pushes: one PUT of up to 50 rows; confirmed rows become the SKUs' confirmed state (so the next
     * scheduled sync compares with them), failed ones are returned. A retry sends the same absolute values.
     */
    async pushUrgentVariants(input: {
      rows: { row: StockRow; inventoryVariantId: number }[];
    }): Promise<PushResult> {
      const update = buildVariantUpdate(input.rows);
      const { results } = await flxpoint.call(
        'inventory-update',
        () => deps.client.updateInventoryVariants(update.query, update.body),
        INVENTORY_URGENT_CALL_BACKOFF,
      );
      const errorOf = new Map<string, string | null>();
      for (const r of input.rows)
        errorOf.set(r.row.sku, results === null ? null : 'no result for this variant');
      const bySku = new Map(input.rows.map((r) => [r.row.sku, r]));
      const byId = new Map(input.rows.map((r) => [r.inventoryVariantId, r]));
      for (const res of results ?? []) {
        const id = res.inventoryVariantId ?? res.id;
        const r = (id != null ? byId.get(id) : undefined) ?? (res.sku ? bySku.get(res.sku) : undefined);
        if (r) errorOf.set(r.row.sku, res.success ? null : itemErrorText(res.errors));
      }
      const states = await store.statesOf(
        sourceId,
        input.rows.map((r) => r.row.sku),
      );
      const confirmed = input.rows
        .filter((r) => errorOf.get(r.row.sku) === null)
        .map((r) => ({
          sku: r.row.sku,
          variantId: r.inventoryVariantId,
          pushed: confirmedState(r.row, states.get(r.row.sku)?.pushed ?? undefined),
        }));
      const failures = input.rows
        .filter((r) => errorOf.get(r.row.sku) !== null)
        .map((r) => ({ sku: r.row.sku, error: errorOf.get(r.row.sku)! }));
      // No staged rows under this key: only the per-SKU state changes.
      await store.settleBatch(`urgent:${sourceId}`, sourceId, {
        confirmed,
        failed: failures,
        staleIds: failures.map((f) => f.sku),
      });
      count('pushed', confirmed.length);
      count('failed', failures.length);
      return {
        requests: 1,
        confirmed: confirmed.length,
        failed: failures.length,
        failures: failures.slice(0, SAMPLE_SIZE),
      };
    },

    /** The run's final counts from the store; its staged rows are dropped. */
    async finishInventorySync(input: { runKey: string }): Promise<FinishResult> {
      const { counts, unknown } = await store.runCounts(input.runKey, SAMPLE_SIZE);
      await store.clearRun(input.runKey);
      deps.metrics?.inventorySyncFinished?.(sourceKey, Math.floor(Date.now() / 1000));
      return { counts, unknownSample: unknown };
    },
  };
}

export type InventorySyncActivities = ReturnType<typeof createInventorySyncActivities>;

/**
 * The stock source's pages; a permanent StockSourceError (a missing file, an endpoint that refuses us: the
 * operator must fix the configuration) becomes a non-retryable failure, so the sync ends at once with that
 * message in the Web UI and the log instead of retrying until its timeout. Anything else is retried.
 */
async function* readStock(source: StockSource, pageSize: number): AsyncIterable<StockPage> {
  try {
    yield* source.read({ pageSize });
  } catch (err) {
    if (err instanceof StockSourceError && err.permanent) {
      throw ApplicationFailure.create({
        type: 'StockSourceUnreadable',
        message: err.message,
        nonRetryable: true,
      });
    }
    throw err;
  }
}

const example = (style: ArrayQueryStyle) => (style === 'comma' ? 'A,B' : 'A&skus=B');

function heartbeat(): void {
  try {
    Context.current().heartbeat();
  } catch {
    // Outside an activity (a direct call in a test): nothing to report to.
  }
}
