import { join } from 'node:path';
import { ActivityFailure, ApplicationFailure, Client, WorkflowFailedError } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataConverter } from '../../codec/data-converter';
import { parseKeyRing } from '../../codec/keyring';
import { startCodecServer, type CodecServer } from '../../codec/server';
import { createCodecActivities } from '../fixtures/codec/activities';
import type { CodecFixtureInput } from '../fixtures/codec/workflows';
import { connectTemporal, uniqueTaskQueue, withWorker, type TestTemporal } from '../helpers/temporal';

// Proves encryption end to end on the real dev server: what the server stores is ciphertext, what an
// encrypting client reads back is plaintext, and the codec server can turn stored payloads back into plaintext.

const PII = 'Jane Q. Customer, +1-555-0100';
const PII_FRAGMENTS = [PII, 'Jane Q', '555-0100'];
const K1 = Buffer.alloc(32, 0x11).toString('base64');
const OTHER = Buffer.alloc(32, 0x22).toString('base64');
const keyRing = parseKeyRing(`k1:${K1}`);
const dataConverter = createDataConverter({ keyRing });

type IHistory = temporal.api.history.v1.IHistory;
type IFailure = temporal.api.failure.v1.IFailure;

const utf8 = (bytes: Uint8Array | null | undefined) =>
  Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

/** Every byte the server stores for this history. */
function rawHistoryBytes(history: IHistory): Buffer {
  return Buffer.from(temporal.api.history.v1.History.encode(history).finish());
}

function expectNoPii(history: IHistory): void {
  const bytes = rawHistoryBytes(history);
  for (const fragment of PII_FRAGMENTS)
    expect(bytes.includes(fragment), `raw history contains "${fragment}"`).toBe(false);
}

function expectEncrypted(payloads: Payload[] | null | undefined): void {
  expect(payloads?.length).toBeGreaterThan(0);
  for (const p of payloads ?? []) {
    expect(utf8(p.metadata?.encoding)).toBe('binary/encrypted');
    expect(utf8(p.metadata?.['encryption-key-id'])).toBe('k1');
  }
}

function expectEncryptedFailure(failure: IFailure | null | undefined): void {
  expect(failure?.message).toBe('Encoded failure');
  expect(failure?.stackTrace ?? '').toBe('');
  expectEncrypted(failure?.encodedAttributes ? [failure.encodedAttributes] : []);
}

const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

describe('payload encryption on the real dev server', () => {
  let t: TestTemporal;
  let bundle: WorkflowBundleWithSourceMap;
  let encryptingClient: Client;
  let codecServer: CodecServer;

  beforeAll(async () => {
    t = await connectTemporal();
    // Bundled here rather than via the shared helper: the bundle must carry the encrypting failure converter.
    bundle = await bundleWorkflowCode({
      workflowsPath: join(__dirname, '../fixtures/codec/workflows.ts'),
      failureConverterPath: dataConverter?.failureConverterPath,
      logger: new DefaultLogger('WARN'),
    });
    encryptingClient = new Client({ connection: t.connection, namespace: 'default', dataConverter });
    codecServer = await startCodecServer({ port: 0, host: '127.0.0.1', keyRing, allowedOrigins: [] });
  });
  afterAll(async () => {
    await codecServer?.close();
    await t?.close();
  });

  /** Runs the fixture workflow on an encrypting worker; returns its id and the outcome. */
  async function run(input: CodecFixtureInput, { encrypted = true } = {}) {
    const taskQueue = uniqueTaskQueue('codec');
    const workflowId = `codec-${taskQueue}`; // ids are NOT encrypted: never put PII in them
    const outcome = await withWorker(
      t,
      {
        taskQueue,
        workflowBundle: bundle,
        activities: createCodecActivities(),
        dataConverter: encrypted ? dataConverter : undefined,
      },
      async () => {
        const handle = await (encrypted ? encryptingClient : t.client).workflow.start(
          'codecFixtureWorkflow',
          {
            taskQueue,
            workflowId,
            args: [input],
            memo: { note: `call ${PII}` },
          },
        );
        return handle.result().then(
          (value: unknown) => ({ ok: true as const, value }),
          (error: unknown) => ({ ok: false as const, error }),
        );
      },
    );
    // t.client has no codec: it sees exactly what the server stores.
    const history = await t.client.workflow.getHandle(workflowId).fetchHistory();
    return { workflowId, outcome, history };
  }

  it('control: without the codec the PII is readable in history, and an encrypting client still reads it', async () => {
    const { workflowId, outcome, history } = await run({ customer: PII }, { encrypted: false });
    expect(outcome).toEqual({ ok: true, value: { label: `Ship to: ${PII}` } });
    expect(rawHistoryBytes(history).includes(PII)).toBe(true);
    // Switching encryption on later must not lock out histories written before.
    expect(await encryptingClient.workflow.getHandle(workflowId).result()).toEqual({
      label: `Ship to: ${PII}`,
    });
  });

  it('stores only ciphertext, and an encrypting client reads the plaintext back', async () => {
    const { workflowId, outcome, history } = await run({ customer: PII });
    expect(outcome).toEqual({ ok: true, value: { label: `Ship to: ${PII}` } });

    expectNoPii(history);
    const events = history.events ?? [];
    const started = events.find(
      (e) => e.workflowExecutionStartedEventAttributes,
    )?.workflowExecutionStartedEventAttributes;
    expectEncrypted(started?.input?.payloads);
    expectEncrypted(Object.values(started?.memo?.fields ?? {}));
    expectEncrypted(
      events.find((e) => e.activityTaskScheduledEventAttributes)?.activityTaskScheduledEventAttributes?.input
        ?.payloads,
    );
    expectEncrypted(
      events.find((e) => e.activityTaskCompletedEventAttributes)?.activityTaskCompletedEventAttributes?.result
        ?.payloads,
    );
    expectEncrypted(
      events.find((e) => e.workflowExecutionCompletedEventAttributes)
        ?.workflowExecutionCompletedEventAttributes?.result?.payloads,
    );

    // Reading again through the codec, from a fresh handle (i.e. from stored history, not the run above).
    expect(await encryptingClient.workflow.getHandle(workflowId).result()).toEqual({
      label: `Ship to: ${PII}`,
    });
    const description = await encryptingClient.workflow.getHandle(workflowId).describe();
    expect(await description.memo).toEqual({ note: `call ${PII}` });
  });

  it('encrypts activity failure messages and stack traces', async () => {
    const { workflowId, outcome, history } = await run({ customer: PII, rejectInActivity: true });
    expectNoPii(history);
    const events = history.events ?? [];
    const activityFailed = events.find(
      (e) => e.activityTaskFailedEventAttributes,
    )?.activityTaskFailedEventAttributes;
    expectEncryptedFailure(activityFailed?.failure);
    const workflowFailed = events.find(
      (e) => e.workflowExecutionFailedEventAttributes,
    )?.workflowExecutionFailedEventAttributes;
    expect(workflowFailed?.failure?.activityFailureInfo).toBeTruthy();
    expectEncryptedFailure(workflowFailed?.failure?.cause);

    // The encrypting client sees the whole chain in plaintext.
    expect(outcome.ok).toBe(false);
    const err = outcome.ok ? undefined : outcome.error;
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const activityFailure = (err as WorkflowFailedError).cause;
    expect(activityFailure).toBeInstanceOf(ActivityFailure);
    const appFailure = (activityFailure as ActivityFailure).cause;
    expect(appFailure).toBeInstanceOf(ApplicationFailure);
    expect((appFailure as ApplicationFailure).message).toBe(`Address rejected for ${PII}`);
    expect((appFailure as ApplicationFailure).type).toBe('AddressRejected');

    const again = await encryptingClient.workflow
      .getHandle(workflowId)
      .result()
      .catch((e: unknown) => e);
    expect(((again as WorkflowFailedError).cause?.cause as ApplicationFailure).message).toBe(
      `Address rejected for ${PII}`,
    );
  });

  it('encrypts failures raised in workflow code (the bundle carries the failure converter)', async () => {
    const { outcome, history } = await run({ customer: PII, rejectInWorkflow: true });
    expectNoPii(history);
    const failed = history.events?.find(
      (e) => e.workflowExecutionFailedEventAttributes,
    )?.workflowExecutionFailedEventAttributes;
    expectEncryptedFailure(failed?.failure);
    const err = outcome.ok ? undefined : outcome.error;
    expect(((err as WorkflowFailedError).cause as ApplicationFailure).message).toBe(
      `Workflow refused ${PII}`,
    );
  });

  it('fails clearly when a client has the wrong key or lacks the key id', async () => {
    const { workflowId } = await run({ customer: PII });
    const clientWith = (spec: string) =>
      new Client({
        connection: t.connection,
        namespace: 'default',
        dataConverter: createDataConverter({ keyRing: parseKeyRing(spec) }),
      });

    const wrongKey = clientWith(`k1:${OTHER}`).workflow.getHandle(workflowId).result();
    await expect(wrongKey).rejects.toThrow(/key "k1": wrong key or tampered payload/);

    const missingKey = clientWith(`k2:${OTHER}`).workflow.getHandle(workflowId).result();
    await expect(missingKey).rejects.toThrow(/key id "k1", which is not in the key ring.*Add key "k1"/);
  });

  it('lets the codec server decrypt payloads taken from the raw history', async () => {
    const { history } = await run({ customer: PII, rejectInActivity: true });
    const events = history.events ?? [];
    const input = events.find((e) => e.workflowExecutionStartedEventAttributes)
      ?.workflowExecutionStartedEventAttributes?.input?.payloads;
    const failure = events.find((e) => e.activityTaskFailedEventAttributes)?.activityTaskFailedEventAttributes
      ?.failure;
    const raw = [...(input ?? []), failure!.encodedAttributes!];

    const res = await fetch(`${codecServer.url}/decode`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default' },
      body: JSON.stringify({ payloads: raw.map(toJson) }),
    });
    expect(res.status).toBe(200);
    const { payloads } = (await res.json()) as { payloads: Array<ReturnType<typeof toJson>> };
    const decoded = payloads.map((p) => ({
      encoding: Buffer.from(p.metadata.encoding ?? '', 'base64').toString(),
      value: JSON.parse(Buffer.from(p.data, 'base64').toString()) as unknown,
    }));
    expect(decoded[0]).toEqual({ encoding: 'json/plain', value: { customer: PII, rejectInActivity: true } });
    expect(decoded[1]?.value).toMatchObject({ message: `Address rejected for ${PII}` });
  });
});
