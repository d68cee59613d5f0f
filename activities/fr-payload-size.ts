import { ApplicationFailure } from '@temporalio/common';
import type { FulfillmentRequestSnapshot } from '../common/domain';
import { FR_TOO_LARGE } from '../common/failure-types';

// An FR's snapshot is an activity result and a workflow's input to the next steps: Temporal refuses a
// payload over 2 MB (blob size limit), which failed the fetch after Flxpoint had answered, and the retry
// spent another request of the source's budget, for ever (an FR of about 6,000 items). The fetch measures
// the snapshot once, before returning it, and refuses it non-retryably; the FR workflow then marks the FR
// processing-failed with the reason (docs/operations.md, "FR too large").

/** Below the 2 MB limit, leaving room for the payload's metadata, encryption and the history event. */
export const DEFAULT_MAX_SNAPSHOT_BYTES = 1_500_000;

export function checkSnapshotSize(
  fr: FulfillmentRequestSnapshot,
  maxBytes: number = DEFAULT_MAX_SNAPSHOT_BYTES,
): void {
  const bytes = Buffer.byteLength(JSON.stringify(fr), 'utf8');
  if (bytes <= maxBytes) return;
  const items = Array.isArray(fr.fulfillmentRequestItems) ? fr.fulfillmentRequestItems.length : 0;
  throw ApplicationFailure.create({
    type: FR_TOO_LARGE,
    nonRetryable: true,
    message:
      `FR ${fr.id} is too large for this integration: ${items} items, ${bytes} bytes serialized, over the ` +
      `${maxBytes}-byte limit under Temporal's 2 MB payload limit`,
  });
}
