import { type Command } from 'commander';
import { ScheduleNotFoundError, type ScheduleDescription } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { inventorySyncScheduleId, inventoryUrgentWorkflowId } from '../../common/ids';
import { parseStockRow } from '../../stock-sources/row-schema';
import type { StockRow } from '../../stock-sources/types';
import type { InventorySyncSummary } from '../../workflows/inventory-sync';
import { action, type CliContext } from './context';
import { sourceKey } from './args';
import { CliError, usageError } from './errors';
import { fields } from './output';

// `inventory status|sync-now <key>`: the inventory sync of one source (schedule `inventory-sync:<key>`,
// docs/operations.md "Inventory sync"). Reads Temporal only: the last run's result is the sync's summary.

async function describeOrExplain(ctx: CliContext, key: string): Promise<ScheduleDescription> {
  const { client } = await ctx.temporal();
  try {
    return await client.schedule.getHandle(inventorySyncScheduleId(key)).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) {
      throw new CliError(
        `schedule ${inventorySyncScheduleId(key)} not found: source "${key}" has no inventory sync. Set ` +
          `INVENTORY_STOCK_SOURCE_${key.toUpperCase().replace(/-/g, '_')} and run \`schedules create\` ` +
          '(or the setup Job); see docs/operations.md "Inventory sync"',
      );
    }
    throw err;
  }
}

async function status(ctx: CliContext, key: string) {
  const d = await describeOrExplain(ctx, key);
  const { client } = await ctx.temporal();
  const every = d.spec.intervals?.[0]?.every;
  // The newest run that finished: its result is the sync's summary (counts and samples, never the catalog).
  let last: Record<string, unknown> | null = null;
  for (const a of [...d.info.recentActions].reverse()) {
    const handle = client.workflow.getHandle(a.action.workflow.workflowId);
    const run = await handle.describe().catch(() => undefined);
    if (!run || run.status.name === 'RUNNING') continue;
    const base = { workflowId: run.workflowId, status: run.status.name, closedAt: run.closeTime ?? null };
    if (run.status.name !== 'COMPLETED') {
      last = base;
      break;
    }
    const s = (await handle.result()) as InventorySyncSummary;
    last = {
      ...base,
      read: s.read,
      unchanged: s.unchanged,
      changed: s.changed,
      disappeared: s.disappeared,
      pushed: s.pushed,
      failed: s.failed,
      unknown: s.unknown,
      badRows: s.badRows,
      requests: s.requests,
      unknownSample: s.unknownSample,
      failureSample: s.failureSample,
      problems: s.problems,
    };
    break;
  }
  return {
    sourceKey: key,
    scheduleId: d.scheduleId,
    paused: d.state.paused,
    note: d.state.note ?? null,
    everyMs: typeof every === 'number' ? every : (every ?? null),
    nextActionTime: d.info.nextActionTimes[0] ?? null,
    running: d.info.runningActions.map((a) => a.workflow.workflowId),
    lastFinished: last,
  };
}

export function inventoryCommand(program: Command): void {
  const inventory = program
    .command('inventory')
    .description('the inventory sync of a source (schedule inventory-sync:<key>)');

  inventory
    .command('status')
    .argument('<key>', 'source key', sourceKey)
    .description("the sync's schedule, the run in progress, and the last finished run's counts and samples")
    .action(
      action(async (ctx, key: string) => {
        const s = await status(ctx, key);
        ctx.out.result(s, (r) => {
          const { lastFinished, ...rest } = r;
          return lastFinished
            ? `${fields(rest)}\n\nlast finished sync:\n${fields(lastFinished)}`
            : `${fields(rest)}\n\nno finished sync yet`;
        });
      }),
    );

  inventory
    .command('sync-now')
    .argument('<key>', 'source key', sourceKey)
    .description('start a sync now (overlap SKIP applies: not while one is running)')
    .action(
      action(async (ctx, key: string) => {
        const d = await describeOrExplain(ctx, key);
        const { client } = await ctx.temporal();
        await client.schedule.getHandle(inventorySyncScheduleId(key)).trigger();
        ctx.out.result(
          {
            scheduleId: inventorySyncScheduleId(key),
            triggered: true,
            alreadyRunning: d.info.runningActions.map((a) => a.workflow.workflowId),
          },
          (r) =>
            r.alreadyRunning.length > 0
              ? `a sync is already running (${r.alreadyRunning.join(', ')}): the trigger is skipped (overlap SKIP)`
              : `schedule ${r.scheduleId} triggered: a sync starts now`,
        );
      }),
    );

  inventory
    .command('push')
    .argument('<sourceId>', 'Flxpoint source id')
    .argument('<changes...>', 'SKU=quantity, e.g. A-1=0 B-7=12')
    .description(
      'push these stock changes now (batched with other urgent changes, in Flxpoint within seconds)',
    )
    .action(
      action(async (ctx, sourceIdArg: string, changes: string[]) => {
        const sourceId = Number(sourceIdArg);
        if (!Number.isSafeInteger(sourceId) || sourceId <= 0)
          throw usageError(`sourceId must be a positive integer, got "${sourceIdArg}"`);
        const rows: StockRow[] = [];
        const problems: string[] = [];
        for (const change of changes) {
          const eq = change.lastIndexOf('=');
          if (eq <= 0) {
            problems.push(`"${change}": write SKU=quantity`);
            continue;
          }
          const parsed = parseStockRow({ sku: change.slice(0, eq), quantity: change.slice(eq + 1) }, change);
          if ('row' in parsed) rows.push(parsed.row);
          else problems.push(`"${change}": ${parsed.problem.problem}`);
        }
        if (problems.length > 0) throw usageError(`bad change(s): ${problems.join('; ')}`);
        const { client } = await ctx.temporal();
        const workflowId = inventoryUrgentWorkflowId(sourceId);
        try {
          await client.workflow.getHandle(workflowId).signal('urgentStock', { rows });
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) {
            throw new CliError(
              `${workflowId} not found: source ${sourceId} has no inventory sync set up ` +
                '(INVENTORY_STOCK_SOURCE_<KEY> and `schedules create`); see docs/operations.md "Inventory sync"',
            );
          }
          throw err;
        }
        ctx.out.result(
          { workflowId, accepted: rows.length, skus: rows.map((r) => r.sku) },
          (r) => `${r.accepted} change(s) sent to ${r.workflowId}: in Flxpoint within seconds`,
        );
      }),
    );
}
