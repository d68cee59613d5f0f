import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { frWorkflowId } from '../../common/ids';
import { statusQuery, type FrStatus } from '../../workflows/definitions';
import type { CliContext } from './context';
import { CliError } from './errors';

// Finding one FR workflow (`fr:<sourceId>:<frId>`) and reading its state, with errors that say what to
// do next. Shared by `frs show`, the signal commands and `frs ship`.

export const QUERY_TIMEOUT_MS = 10_000;

export interface FrRef {
  sourceId: number;
  frId: number;
}

export function notFound(ref: FrRef): CliError {
  return new CliError(
    `FR workflow ${frWorkflowId(ref.sourceId, ref.frId)} not found: is the FR id right? ` +
      `list with \`frs list --fr ${ref.frId}\``,
  );
}

export function closed(ref: FrRef, status: string): CliError {
  return new CliError(
    `FR workflow ${frWorkflowId(ref.sourceId, ref.frId)} is already closed (${status}); nothing changed. ` +
      `See \`frs show ${ref.sourceId} ${ref.frId}\``,
  );
}

export async function describeFr(ctx: CliContext, ref: FrRef) {
  const { client } = await ctx.temporal();
  const handle = client.workflow.getHandle(frWorkflowId(ref.sourceId, ref.frId));
  try {
    return { handle, description: await handle.describe() };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw notFound(ref);
    throw err;
  }
}

/** The FR's handle, refusing (before sending anything) when it does not exist or has finished. */
export async function runningFr(ctx: CliContext, ref: FrRef): Promise<WorkflowHandle> {
  const { handle, description } = await describeFr(ctx, ref);
  if (description.status.name !== 'RUNNING') throw closed(ref, description.status.name);
  return handle;
}

/** The `status` query, bounded: a query waits for a worker, and none may be running. */
export async function queryStatus(ctx: CliContext, handle: WorkflowHandle): Promise<FrStatus> {
  const { connection } = await ctx.temporal();
  try {
    return await connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handle.query(statusQuery));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw err;
    throw new CliError(
      `status query of ${handle.workflowId} did not answer within ${QUERY_TIMEOUT_MS / 1000}s ` +
        `(is a worker polling the pipeline task queue?): ${(err as Error).message}`,
    );
  }
}
