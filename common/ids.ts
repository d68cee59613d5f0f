// Deterministic identifiers. The FR workflow id is the at-most-once fence: Temporal refuses a second
// workflow with the same id, so a crash-and-repoll can never process an FR twice.

/** Workflow id of the durable workflow that processes one fulfillment request. */
export function frWorkflowId(sourceId: number | string, frId: number | string): string {
  return `fr:${sourceId}:${frId}`;
}

/** Id of the Temporal Schedule that polls one source. Stable, so setup is idempotent. */
export function pollScheduleId(sourceKey: string): string {
  return `flxpoint-poll:${sourceKey}`;
}

/** Workflow id prefix of the poller runs a schedule starts (Temporal appends the fire time). */
export function pollWorkflowIdPrefix(sourceKey: string): string {
  return `flxpoint-poll:${sourceKey}`;
}

/** Parses `fr:<sourceId>:<frId>` back; undefined for any other id. */
export function parseFrWorkflowId(workflowId: string): { sourceId: string; frId: string } | undefined {
  const m = /^fr:([^:]+):([^:]+)$/.exec(workflowId);
  return m ? { sourceId: m[1]!, frId: m[2]! } : undefined;
}
