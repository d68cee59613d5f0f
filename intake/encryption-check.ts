import type { Client } from '@temporalio/client';
import { METADATA_ENCODING_KEY } from '@temporalio/common';
import { ENCRYPTED_ENCODING } from '../codec/encryption-codec';

// At start, the intake compares its own encryption setting with what the workers write: the input of the
// newest FR workflow on its task queue (raw from the history, not decoded). An intake without the key ring
// in front of encrypting workers would hand over shipments whose answers it cannot read (and, before the
// status check in intake/deliver.ts, took them and answered 500): that is a configuration error, refused
// before listening. The opposite (intake encrypts, newest FR plaintext) may be a rollout in progress (FRs
// started before the key ring was set), so it is only reported.

export interface EncryptionCheck {
  /** Why the intake must not start, naming the setting to fix. */
  problem?: string;
  /** Worth a warning, not a refusal. */
  warning?: string;
}

const FR_WORKFLOW_TYPE = 'processFulfillmentRequestWorkflow';

export async function checkPayloadEncryption(
  client: Client,
  taskQueue: string,
  encrypts: boolean,
): Promise<EncryptionCheck> {
  let newest: { workflowId: string; runId: string } | undefined;
  const query = `WorkflowType = "${FR_WORKFLOW_TYPE}" AND TaskQueue = "${taskQueue.replace(/"/g, '\\"')}"`;
  for await (const wf of client.workflow.list({ query, pageSize: 1 })) {
    newest = { workflowId: wf.workflowId, runId: wf.runId };
    break;
  }
  if (!newest) return {};
  const history = await client.workflow.getHandle(newest.workflowId, newest.runId).fetchHistory();
  const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  const raw = input?.metadata?.[METADATA_ENCODING_KEY];
  if (!raw) return {};
  const encrypted = Buffer.from(raw).toString('utf8') === ENCRYPTED_ENCODING;
  if (encrypted && !encrypts) {
    return {
      problem:
        `FLXPOINT_ENCRYPTION_KEYS: is not set, but the workers encrypt payloads (FR workflow ` +
        `${newest.workflowId} on task queue ${taskQueue} has encrypted input); give the intake the ` +
        "workers' key ring, or it could not read the FR workflows' answers",
    };
  }
  if (!encrypted && encrypts) {
    return {
      warning:
        `the newest FR workflow (${newest.workflowId}) has plaintext input although the intake encrypts: ` +
        'expected only while encryption is being rolled out; otherwise give the workers FLXPOINT_ENCRYPTION_KEYS',
    };
  }
  return {};
}
