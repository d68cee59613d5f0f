// Deterministic identifiers. The FR workflow id is the at-most-once fence: Temporal refuses a second
// workflow with the same id, so a crash-and-repoll can never process an FR twice.

/** Workflow id of the durable workflow that processes one fulfillment request. */
export function frWorkflowId(sourceId: number | string, frId: number | string): string {
  return `fr:${sourceId}:${frId}`;
}

/**
 * Workflow id of an FR processed in shadow mode (FLXPOINT_MODE=shadow): `shadow:fr:<sourceId>:<frId>`. A
 * distinct id, so a completed shadow run never blocks the live `fr:` workflow when the mode switches to live,
 * and the one fact every process checks before sending a write: a `shadow:` workflow's writes are recorded,
 * never sent, whichever worker runs them (activities/shadow-client.ts).
 */
export function shadowFrWorkflowId(sourceId: number | string, frId: number | string): string {
  return `${SHADOW_PREFIX}${frWorkflowId(sourceId, frId)}`;
}

const SHADOW_PREFIX = 'shadow:';

/** True for the id of a workflow started in shadow mode (its writes are never sent). */
export function isShadowWorkflowId(workflowId: string): boolean {
  return workflowId.startsWith(SHADOW_PREFIX);
}

/** Id of the Temporal Schedule that polls one source. Stable, so setup is idempotent. */
export function pollScheduleId(sourceKey: string): string {
  return `flxpoint-poll:${sourceKey}`;
}

/** Id of the Temporal Schedule that starts one source's inventory sync (only sources with a stock source). */
export function inventorySyncScheduleId(sourceKey: string): string {
  return `inventory-sync:${sourceKey}`;
}

/** Workflow id of an inventory sync the schedule starts (Temporal appends the fire time) or an operator. */
export function inventorySyncWorkflowIdPrefix(sourceKey: string): string {
  return `inventory-sync:${sourceKey}`;
}

/** Workflow id of the long-lived workflow that pushes one source's urgent stock changes (intake, CLI). */
export function inventoryUrgentWorkflowId(sourceId: number | string): string {
  return `inventory-urgent:${sourceId}`;
}

/** Workflow id prefix of the poller runs a schedule starts (Temporal appends the fire time). */
export function pollWorkflowIdPrefix(sourceKey: string): string {
  return `flxpoint-poll:${sourceKey}`;
}

/** Parses `fr:<sourceId>:<frId>` (or its `shadow:` form) back; undefined for any other id. */
export function parseFrWorkflowId(
  workflowId: string,
): { sourceId: string; frId: string; shadow?: true } | undefined {
  const m = /^(shadow:)?fr:([^:]+):([^:]+)$/.exec(workflowId);
  if (!m) return undefined;
  return { sourceId: m[2]!, frId: m[3]!, ...(m[1] ? { shadow: true as const } : {}) };
}
