import { type Command } from 'commander';
import { FR_ID, FR_STEP, SOURCE_ID, SOURCE_KEY } from '../../common/search-attributes';
import type { FrStep } from '../../workflows/definitions';
import { action } from './context';
import { oneOf, positiveInt, sourceKey } from './args';
import { table } from './output';

// `frs list`: FR workflows found through visibility, by the search attributes the poller and the FR
// workflow set (common/search-attributes.ts). Visibility is eventually consistent: a workflow started a
// moment ago may take a second to show up.

/** FlxpointFrStep values: the steps, plus the flags the FR workflow adds (overdue, conflict). */
const STEPS: readonly (FrStep | 'awaiting_shipment_overdue' | 'awaiting_shipment_conflict' | 'conflict')[] = [
  'fetching',
  'handling',
  'committing',
  'acknowledging',
  'adjusting',
  'failing',
  'awaiting_shipment',
  'awaiting_shipment_overdue',
  'awaiting_shipment_conflict',
  'creating_shipment',
  'cancelling',
  'done',
  'conflict',
];
const STATUSES = ['running', 'completed', 'failed', 'closed', 'all'] as const;
type StatusFilter = (typeof STATUSES)[number];

const STATUS_QUERY: Record<StatusFilter, string | undefined> = {
  running: `ExecutionStatus = 'Running'`,
  completed: `ExecutionStatus = 'Completed'`,
  failed: `(ExecutionStatus = 'Failed' OR ExecutionStatus = 'TimedOut' OR ExecutionStatus = 'Terminated' OR ExecutionStatus = 'Canceled')`,
  closed: `ExecutionStatus != 'Running'`,
  all: undefined,
};

export interface ListFilters {
  source?: string;
  sourceId?: number;
  step?: string;
  fr?: number;
  status: StatusFilter;
}

/** The visibility query (the same text works in the Web UI and `temporal workflow list --query`). */
export function listQuery(f: ListFilters): string {
  const quote = (v: string) => `"${v.replace(/["\\]/g, '')}"`;
  return [
    `WorkflowType = 'processFulfillmentRequestWorkflow'`,
    f.source !== undefined ? `${SOURCE_KEY.name} = ${quote(f.source)}` : undefined,
    f.sourceId !== undefined ? `${SOURCE_ID.name} = ${quote(String(f.sourceId))}` : undefined,
    f.fr !== undefined ? `${FR_ID.name} = ${quote(String(f.fr))}` : undefined,
    f.step !== undefined ? `${FR_STEP.name} = ${quote(f.step)}` : undefined,
    STATUS_QUERY[f.status],
  ]
    .filter(Boolean)
    .join(' AND ');
}

export function frsListCommand(frs: Command): void {
  frs
    .command('list')
    .description('find FR workflows by source, step, FR id and status (newest first)')
    .option('--source <key>', 'source key', sourceKey)
    .option('--source-id <id>', 'Flxpoint source id', positiveInt)
    .option('--step <step>', `FR step: ${STEPS.join(', ')}`, oneOf(STEPS))
    .option('--fr <id>', 'Flxpoint fulfillment request id', positiveInt)
    .option('--status <status>', STATUSES.join(' | '), oneOf(STATUSES), 'all')
    .option('--limit <n>', 'at most this many (1-1000)', positiveInt, 50)
    .action(
      action(async (ctx, opts: ListFilters & { limit: number }) => {
        const limit = Math.min(opts.limit, 1000);
        const query = listQuery(opts);
        const { client } = await ctx.temporal();
        const rows = [];
        for await (const wf of client.workflow.list({ query, pageSize: Math.min(limit, 100) })) {
          rows.push({
            workflowId: wf.workflowId,
            sourceKey: wf.typedSearchAttributes.get(SOURCE_KEY) ?? null,
            sourceId: wf.typedSearchAttributes.get(SOURCE_ID) ?? null,
            frId: wf.typedSearchAttributes.get(FR_ID) ?? null,
            step: wf.typedSearchAttributes.get(FR_STEP) ?? null,
            status: wf.status.name,
            startTime: wf.startTime,
            closeTime: wf.closeTime ?? null,
            runId: wf.runId,
          });
          if (rows.length >= limit) break;
        }
        ctx.out.result({ query, count: rows.length, workflows: rows }, (r) =>
          [
            table(r.workflows, [
              'workflowId',
              'sourceKey',
              'frId',
              'step',
              'status',
              'startTime',
              'closeTime',
            ]),
            `${r.count} FR workflow(s); query: ${r.query}`,
          ].join('\n'),
        );
      }),
    );
}
