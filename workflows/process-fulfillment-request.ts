import {
  ApplicationFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  log,
  metricMeter,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { FulfillmentRequestSnapshot, HandlerDecision, ShipmentRecord } from '../common/domain';
import { FR_STEP } from '../common/search-attributes';
import { flxpointActivities, pipelineActivities } from './activity-proxies';
import {
  addShipmentUpdate,
  cancelSignal,
  failSignal,
  pauseSignal,
  resumeSignal,
  shipmentSignal,
  statusQuery,
  type AddShipmentResult,
  type FrOutcome,
  type FrStatus,
  type FrStep,
  type ProcessFulfillmentRequestInput,
} from './definitions';
import {
  applyShipment,
  fullyResolved,
  ledgerFromFr,
  openQuantity,
  shipmentProblems,
  unshippedQuantity,
} from './fr-quantities';

// One durable workflow per fulfillment request, id `fr:<sourceId>:<frId>`:
//   fetch → handler → local commit → acknowledge | adjust | processing-failed → shipments.
// Flxpoint is only told "I've got this" after the local commit, as the polling guide demands. Every step
// is an activity, so a crash anywhere resumes at the step that did not finish; each step is idempotent
// (commit on the FR id, "already acknowledged" = success, duplicate tracking number = success).

const INTERRUPTED = Symbol('interrupted');

/** Flxpoint's processing statuses after which there is nothing left for this source to do. */
const TERMINAL_UPSTREAM = new Set(['canceled', 'voided']);

export async function processFulfillmentRequestWorkflow(
  input: ProcessFulfillmentRequestInput,
): Promise<FrStatus> {
  const api = flxpointActivities(input.sourceKey, input.settings);
  const local = pipelineActivities(input.settings);
  const { frId, sourceId } = input;
  // Replay-safe counters, exported with the worker's Prometheus metrics.
  const meter = metricMeter.withTags({ source: input.sourceKey });
  meter.createCounter('flxpoint_fr_started', 'frs', 'FR workflows started').add(1);
  const status: FrStatus = {
    frId,
    frNumber: input.frNumber ?? null,
    sourceId,
    step: 'fetching',
    paused: false,
    decision: null,
    outcome: null,
    overdue: false,
    shipments: [],
    items: [],
    lastError: null,
    refusals: [],
  };
  let failRequest: { reason: string } | null = null;
  let cancelRequest: { reason: string } | null = null;
  /** Flxpoint holds our acknowledgement or adjustment: processing-failed is no longer allowed. */
  let claimed = false;
  const pending: ShipmentRecord[] = [];
  let interruptibleScope: CancellationScope | null = null;

  function refuse(message: string): void {
    status.refusals.push(message);
    if (status.refusals.length > 20) status.refusals.shift();
    log.warn(message, { frId, sourceId });
  }

  function setStep(step: FrStep, extra?: string): void {
    status.step = step;
    const value = step === 'awaiting_shipment' && status.overdue ? 'awaiting_shipment_overdue' : step;
    upsertSearchAttributes([{ key: FR_STEP, value }]);
    refreshDetails(extra);
  }

  function refreshDetails(extra?: string): void {
    const lines = [
      `**FR** ${status.frNumber ?? frId} (id ${frId}) · source ${input.sourceKey} (${sourceId})`,
      `**step** ${status.step}${status.paused ? ' · **PAUSED**' : ''}${status.overdue ? ' · **OVERDUE**' : ''}`,
      status.decision ? `**decision** ${status.decision.kind}` : '',
      status.outcome ? `**outcome** ${status.outcome}` : '',
      status.shipments.length
        ? `**shipments** ${status.shipments.map((s) => `${s.trackingNumber} (${s.status})`).join(', ')}`
        : '',
      status.lastError ? `**last error** ${status.lastError}` : '',
      extra ?? '',
    ];
    setCurrentDetails(lines.filter(Boolean).join('\n\n'));
  }

  // ---- operator controls ------------------------------------------------------------------------------
  setHandler(statusQuery, () => status);
  setHandler(pauseSignal, (req) => {
    if (status.outcome) return refuse(`pause ignored: FR already finished (${status.outcome})`);
    status.paused = true;
    log.info('paused by operator', {
      frId,
      sourceId,
      reason: typeof req?.reason === 'string' ? req.reason : undefined,
    });
    refreshDetails();
  });
  setHandler(resumeSignal, () => {
    status.paused = false;
    log.info('resumed by operator', { frId, sourceId });
    refreshDetails();
  });
  setHandler(failSignal, (req) => {
    const reason = typeof req?.reason === 'string' ? req.reason.trim() : '';
    if (!reason)
      return refuse('fail refused: send {"reason": "<why>"} with a non-empty reason; nothing changed');
    if (status.outcome) return refuse(`fail refused: FR already finished (${status.outcome})`);
    if (claimed) {
      return refuse(
        'fail refused: the FR is already acknowledged in Flxpoint, which allows processing-failed only from ' +
          'Processing/Processed; send the cancel signal to cancel the unshipped quantities instead',
      );
    }
    failRequest = { reason: reason.slice(0, 500) };
    interruptibleScope?.cancel();
  });
  setHandler(cancelSignal, (req) => {
    if (status.outcome) return refuse(`cancel refused: FR already finished (${status.outcome})`);
    if (req !== undefined && (typeof req !== 'object' || req === null)) {
      return refuse('cancel refused: the argument must be omitted or {"reason": "<why>"}; nothing changed');
    }
    cancelRequest = {
      reason:
        typeof req?.reason === 'string' && req.reason.trim() ? req.reason.trim() : 'cancelled by operator',
    };
    interruptibleScope?.cancel();
  });

  function acceptShipment(raw: ShipmentRecord): AddShipmentResult {
    const trackingNumber = raw.trackingNumber.trim();
    if (status.shipments.some((s) => s.trackingNumber === trackingNumber && s.status !== 'rejected')) {
      return { trackingNumber, status: 'duplicate' };
    }
    const record: ShipmentRecord = {
      trackingNumber,
      items: raw.items.map((i) => ({ id: i.id, quantity: i.quantity })),
      ...(raw.carrier ? { carrier: raw.carrier } : {}),
      ...(raw.method ? { method: raw.method } : {}),
      ...(raw.shippedAt ? { shippedAt: raw.shippedAt } : {}),
      ...(raw.trackingUrl ? { trackingUrl: raw.trackingUrl } : {}),
    };
    pending.push(record);
    status.shipments.push({ trackingNumber, status: 'pending', record });
    refreshDetails();
    return { trackingNumber, status: 'accepted' };
  }

  /** Why a shipment cannot be taken now, or [] when it can. A repeat of a known tracking number is fine. */
  function shipmentRefusal(raw: unknown): string[] {
    if (status.outcome && status.outcome !== null)
      return [`FR ${frId} is finished (${status.outcome}); no more shipments`];
    if (status.decision && (status.decision.kind === 'reject' || status.decision.kind === 'fail')) {
      return [
        `FR ${frId} was ${status.decision.kind === 'reject' ? 'rejected' : 'failed'}; it takes no shipments`,
      ];
    }
    if (failRequest || cancelRequest)
      return [`FR ${frId} is being ${failRequest ? 'failed' : 'cancelled'}; no more shipments`];
    const tn = (raw as { trackingNumber?: unknown } | null)?.trackingNumber;
    if (
      typeof tn === 'string' &&
      status.shipments.some((s) => s.trackingNumber === tn.trim() && s.status !== 'rejected')
    ) {
      return [];
    }
    if (status.items.length === 0) return [`FR ${frId} has not been fetched yet; retry in a moment`];
    return shipmentProblems(raw, status.items, pending);
  }

  setHandler(addShipmentUpdate, (raw) => acceptShipment(raw), {
    validator: (raw) => {
      const problems = shipmentRefusal(raw);
      if (problems.length) throw new Error(`shipment rejected: ${problems.join('; ')}`);
    },
  });
  setHandler(shipmentSignal, (raw) => {
    const problems = shipmentRefusal(raw);
    if (problems.length) return refuse(`shipment signal refused: ${problems.join('; ')}`);
    acceptShipment(raw);
  });

  // ---- helpers ----------------------------------------------------------------------------------------
  async function holdWhilePaused(): Promise<void> {
    if (!status.paused) return;
    refreshDetails();
    await condition(() => !status.paused || failRequest !== null || cancelRequest !== null);
  }

  /** Runs a step that an operator's fail/cancel may cut short (nothing external has happened yet). */
  async function interruptible<T>(fn: () => Promise<T>): Promise<T | typeof INTERRUPTED> {
    if (failRequest || cancelRequest) return INTERRUPTED;
    const scope = new CancellationScope();
    interruptibleScope = scope;
    try {
      return await scope.run(fn);
    } catch (err) {
      if (isCancellation(err) && (failRequest || cancelRequest)) return INTERRUPTED;
      throw err;
    } finally {
      interruptibleScope = null;
    }
  }

  async function finish(outcome: FrOutcome): Promise<FrStatus> {
    status.outcome = outcome;
    meter
      .createCounter('flxpoint_fr_finished', 'frs', 'FR workflows finished, by outcome')
      .add(1, { outcome });
    setStep('done');
    await local.recordFrOutcome({ sourceKey: input.sourceKey, sourceId, frId, outcome });
    log.info('FR finished', { frId, sourceId, outcome });
    // Let a running update/signal handler answer before the workflow closes.
    await condition(allHandlersFinished);
    return status;
  }

  /** Asks Flxpoint why a 4xx happened: an FR cancelled or voided upstream ends as such. */
  async function upstreamTerminal(): Promise<boolean> {
    try {
      const fr = await api.fetchFulfillmentRequest({ frId });
      return TERMINAL_UPSTREAM.has(fr.statusHandle ?? '');
    } catch (err) {
      if (flxpointErrorType(err) === 'not_found') return true;
      throw err;
    }
  }

  async function markFailed(reason: string, kind: 'decision' | 'operator'): Promise<FrStatus> {
    await holdWhilePaused();
    setStep('failing');
    try {
      await api.markFulfillmentRequestFailed({ frId, reason });
      log.info('marked processing-failed', { frId, sourceId, by: kind });
      return await finish('processing_failed');
    } catch (err) {
      if (!isNonRetryable(err)) throw err;
      status.lastError = failureMessage(err);
      refuse(`processing-failed refused by Flxpoint: ${status.lastError}`);
      if (await upstreamTerminal()) return finish('cancelled_upstream');
      return finish('processing_failed_refused');
    }
  }

  async function adjust(
    body: Parameters<typeof api.adjustFulfillmentRequest>[0]['body'],
  ): Promise<FulfillmentRequestSnapshot | 'refused'> {
    try {
      return await api.adjustFulfillmentRequest({ frId, body });
    } catch (err) {
      if (!isNonRetryable(err)) throw err;
      status.lastError = failureMessage(err);
      log.warn('adjust refused by Flxpoint; not retrying', { frId, sourceId, error: status.lastError });
      return 'refused';
    }
  }

  // ---- 1. fetch -----------------------------------------------------------------------------------------
  setStep('fetching');
  await holdWhilePaused();
  let fr: FulfillmentRequestSnapshot | typeof INTERRUPTED;
  try {
    fr = await interruptible(() => api.fetchFulfillmentRequest({ frId }));
  } catch (err) {
    if (flxpointErrorType(err) === 'not_found') return finish('not_found');
    throw err;
  }
  if (fr !== INTERRUPTED) {
    status.frNumber = (fr.fulfillmentRequestNumber as string | null | undefined) ?? status.frNumber;
    status.items = ledgerFromFr(fr);
    if (TERMINAL_UPSTREAM.has(fr.statusHandle ?? '')) return finish('cancelled_upstream');
    if (fr.statusHandle === 'processing_error') return finish('processing_failed');
  }
  if (failRequest && fr === INTERRUPTED)
    return markFailed((failRequest as { reason: string }).reason, 'operator');
  if (fr === INTERRUPTED) {
    // Cancelled before we even read the FR: read it now (not interruptible) so the adjust can name items.
    fr = await api.fetchFulfillmentRequest({ frId });
    status.items = ledgerFromFr(fr);
  }
  const snapshot = fr;

  // ---- 2. handler ---------------------------------------------------------------------------------------
  let decision: HandlerDecision;
  if (failRequest) return markFailed((failRequest as { reason: string }).reason, 'operator');
  if (cancelRequest) {
    decision = {
      kind: 'reject',
      reason: (cancelRequest as { reason: string }).reason,
      killOrFillType: 'fill',
    };
  } else {
    await holdWhilePaused();
    setStep('handling');
    try {
      const d = await interruptible(() =>
        local.decideFulfillmentRequest({
          sourceKey: input.sourceKey,
          sourceId,
          workflowId: workflowInfo().workflowId,
          fr: snapshot,
        }),
      );
      if (d === INTERRUPTED) {
        if (failRequest) return markFailed((failRequest as { reason: string }).reason, 'operator');
        decision = {
          kind: 'reject',
          reason: (cancelRequest as { reason: string } | null)?.reason ?? 'cancelled by operator',
          killOrFillType: 'fill',
        };
      } else {
        decision = d;
      }
    } catch (err) {
      if (failureType(err) !== 'HandlerRejected') throw err;
      status.lastError = failureMessage(err);
      decision = { kind: 'fail', reason: status.lastError.slice(0, 500) };
    }
  }

  // ---- 3. commit (local, idempotent; nothing is acknowledged before this) ------------------------------
  await holdWhilePaused();
  setStep('committing');
  const committed = await local.commitFulfillmentRequest({
    sourceId,
    frId,
    frNumber: status.frNumber,
    workflowId: workflowInfo().workflowId,
    fr: snapshot,
    decision,
  });
  // On a replay after a crash the store answers with the decision stored first: that one is binding.
  decision = committed.decision;
  status.decision = decision;
  refreshDetails();

  // ---- 4. tell Flxpoint ---------------------------------------------------------------------------------
  if (failRequest) return markFailed((failRequest as { reason: string }).reason, 'operator');
  if (decision.kind === 'fail') return markFailed(decision.reason, 'decision');
  await holdWhilePaused();
  if (failRequest) return markFailed((failRequest as { reason: string }).reason, 'operator');

  const operatorCancel = cancelRequest !== null;
  if (decision.kind === 'accept' && !operatorCancel) {
    setStep('acknowledging');
    try {
      const res = await api.acknowledgeFulfillmentRequest({ frId });
      // "Already acknowledged" (a retry whose first answer was lost, or someone else) is success.
      log.info('acknowledged in Flxpoint', {
        frId,
        sourceId,
        alreadyAcknowledged: res === 'already_acknowledged',
      });
      status.items = status.items.map((i) => ({ ...i, acknowledged: i.acknowledged + openQuantity(i) }));
    } catch (err) {
      if (!isNonRetryable(err)) throw err;
      status.lastError = failureMessage(err);
      log.warn('acknowledge refused by Flxpoint; not retrying', { frId, sourceId, error: status.lastError });
      return finish((await upstreamTerminal()) ? 'cancelled_upstream' : 'acknowledge_refused');
    }
    claimed = true;
    meter.createCounter('flxpoint_fr_acknowledged', 'frs', 'FRs acknowledged in full in Flxpoint').add(1);
    await local.recordFrOutcome({
      sourceKey: input.sourceKey,
      sourceId,
      frId,
      outcome: 'acknowledged',
    });
  } else {
    setStep('adjusting');
    const body =
      decision.kind === 'partial' && !operatorCancel
        ? {
            killOrFillType: decision.killOrFillType,
            items: status.items.map((i) => {
              const want =
                decision.kind === 'partial'
                  ? (decision.items.find((d) => d.id === i.id)?.acknowledgedQuantity ?? 0)
                  : 0;
              const ack = Math.min(openQuantity(i), want);
              return {
                id: i.id,
                acknowledgedQuantity: i.acknowledged + ack,
                cancelledQuantity: i.cancelled + openQuantity(i) - ack,
              };
            }),
          }
        : {
            killOrFillType: decision.kind === 'reject' ? decision.killOrFillType : ('fill' as const),
            items: status.items.map((i) => ({
              id: i.id,
              acknowledgedQuantity: i.acknowledged,
              cancelledQuantity: i.cancelled + openQuantity(i),
            })),
          };
    const adjusted = await adjust(body);
    if (adjusted === 'refused')
      return finish((await upstreamTerminal()) ? 'cancelled_upstream' : 'acknowledge_refused');
    status.items = ledgerFromFr(adjusted);
    claimed = true;
    if (operatorCancel) return finish('cancelled_by_operator');
    // A partial decision that acknowledged nothing is a reject in Flxpoint's eyes (the FR is Canceled).
    if (decision.kind === 'reject' || status.items.every((i) => i.acknowledged === 0))
      return finish('rejected');
    await local.recordFrOutcome({
      sourceKey: input.sourceKey,
      sourceId,
      frId,
      outcome: 'adjusted',
    });
  }

  // ---- 5. shipments -------------------------------------------------------------------------------------
  const deadline = workflowInfo().startTime.getTime() + input.settings.shipmentDeadlineMs;
  setStep('awaiting_shipment');
  while (!fullyResolved(status.items)) {
    if (pending.length === 0 && cancelRequest === null) {
      const left = deadline - Date.now();
      const arrived =
        !status.overdue && left > 0
          ? await condition(() => pending.length > 0 || cancelRequest !== null, left)
          : (await condition(() => pending.length > 0 || cancelRequest !== null), true);
      if (!arrived) {
        status.overdue = true;
        log.warn('shipment deadline passed; still waiting', { frId, sourceId });
        setStep('awaiting_shipment');
        continue;
      }
    }
    await holdWhilePaused();
    if (cancelRequest) {
      setStep('cancelling');
      const adjusted = await adjust({
        killOrFillType: 'fill',
        items: status.items
          .filter((i) => unshippedQuantity(i) > 0)
          .map((i) => ({
            id: i.id,
            acknowledgedQuantity: i.shipped,
            cancelledQuantity: i.cancelled + unshippedQuantity(i),
          })),
      });
      if (adjusted === 'refused') {
        refuse(`cancel refused by Flxpoint: ${status.lastError}`);
        cancelRequest = null;
        setStep('awaiting_shipment');
        continue;
      }
      status.items = ledgerFromFr(adjusted);
      for (const s of status.shipments) if (s.status === 'pending') s.status = 'rejected';
      pending.length = 0;
      return finish('cancelled_by_operator');
    }
    const next = pending[0];
    if (!next) continue;
    setStep('creating_shipment', `creating shipment ${next.trackingNumber}`);
    const entry = status.shipments.find(
      (s) => s.trackingNumber === next.trackingNumber && s.status === 'pending',
    )!;
    const problems = shipmentProblems(next, status.items, []);
    if (problems.length) {
      entry.status = 'rejected';
      entry.error = problems.join('; ');
      refuse(`shipment ${next.trackingNumber} dropped: ${entry.error}`);
    } else {
      try {
        const created = await api.createShipment({ frId, sourceId, shipment: next });
        entry.status = created.duplicate ? 'duplicate' : 'created';
        entry.flxpointShipmentId = created.shipmentId;
        status.items = applyShipment(status.items, next);
        await local.recordShipment({
          sourceId,
          frId,
          shipment: next,
          flxpointShipmentId: created.shipmentId,
        });
      } catch (err) {
        if (!isNonRetryable(err)) throw err;
        entry.status = 'rejected';
        entry.error = failureMessage(err);
        status.lastError = entry.error;
        refuse(`shipment ${next.trackingNumber} refused by Flxpoint: ${entry.error}`);
      }
    }
    pending.shift();
    setStep('awaiting_shipment');
  }
  return finish(decision.kind === 'partial' ? 'adjusted_and_shipped' : 'acknowledged_and_shipped');
}

// ---- failure inspection (ActivityFailure → ApplicationFailure chain) ------------------------------------
function rootApplicationFailure(err: unknown): ApplicationFailure | undefined {
  let e: unknown = err;
  for (let i = 0; i < 5 && e; i++) {
    if (e instanceof ApplicationFailure) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
function failureType(err: unknown): string | undefined {
  return rootApplicationFailure(err)?.type ?? undefined;
}
function flxpointErrorType(err: unknown): string | undefined {
  const t = failureType(err);
  return t?.startsWith('Flxpoint.') ? t.slice('Flxpoint.'.length) : undefined;
}
function isNonRetryable(err: unknown): boolean {
  return rootApplicationFailure(err)?.nonRetryable === true;
}
function failureMessage(err: unknown): string {
  return (rootApplicationFailure(err)?.message ?? (err as Error)?.message ?? String(err)).slice(0, 500);
}
