// Shadow mode's shared vocabulary (docs/operations.md "Shadow mode"): the activities record writes, the FR
// workflow shows them in its `status`, the CLI and tests read them.

/** A write a shadow workflow would have sent to Flxpoint: the request exactly, never a header (the token). */
export interface RecordedWrite {
  /** acknowledge, adjust, processing-failed, create-shipment (or `other`). */
  endpoint: string;
  method: string;
  path: string;
  query?: Record<string, string>;
  body: unknown;
  /** ISO-8601 (UTC) time it was recorded. */
  recordedAt: string | null;
}
