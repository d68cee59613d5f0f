import {
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  log,
  metricMeter,
  patched,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { FulfillmentRequestSnapshot, HandlerDecision, ShipmentRecord } from '../common/domain';
import { FR_STEP } from '../common/search-attributes';
import { normalizeShipment } from '../common/shipment';
import {
  flxpointActivities,
  handlerActivities,
  listedFrActivities,
  pipelineActivities,
} from './activity-proxies';
import { recordedWrites, shadowAwareApi, shadowDetails } from './shadow';
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
  failureMessage,
  flxpointKind,
  isFrTooLarge,
  isHandlerRejection,
  isLocalStoreRejection,
  isNonRetryable,
  isOutcomeUnknown,
} from './failures';
import {
  adjustBody,
  applyDecision,
  applyShipment,
  cancelUnshippedBody,
  fullyResolved,
  ledgerFromFr,
  shipmentProblems,
} from './fr-quantities';
import {
  settleAcknowledge,
  settleAdjust,
  settleProcessingFailed,
  settleShipment,
  type ReadBack,
  type Settlement,
} from './settle';

// One durable workflow per fulfillment request, id `fr:<sourceId>:<frId>`. Read `run()` top to bottom:
//
//   fetch → decide (handler) → commit (local) → claim (acknowledge | adjust | processing-failed)
//         → ship (wait for shipments, create each in Flxpoint) → finish
//
// Flxpoint is only told "I've got this" after the local commit, as the polling guide demands. Every step
// is an activity, so a crash anywhere resumes at the step that did not finish. The commit is idempotent on
// the FR id; a Flxpoint write whose outcome is unknown or refused is settled by reading the FR
// (workflows/settle.ts, docs/flxpoint-api.md "Read-back rules"), never by the words of an error.
//
// Versioning: released histories (test/fixtures/histories/<release>/) must replay against this code. Any
// change to the commands a step issues (activities, timers, search-attribute upserts, their order) goes
// behind patched('<id>'); see docs/architecture.md, "Changing workflow code".

/** Patch: shipment signals are checked by common/shipment.ts (v0.2.0); before, by fr-quantities alone. */
const SHIPMENT_VALIDATION_PATCH = 'shipment-validation-common';
/**
 * Patch: the commit can be cut short by an operator's fail/cancel, and a store refusal of the FR's data
 * (non-retryable) marks it processing-failed (v0.2.0); before, the commit ran until it succeeded.
 */
const LOCAL_STEP_PATCH = 'local-step-interruptible';
/** Patch: an FR too large for Temporal's payload limit is marked processing-failed once (v0.2.0). */
const FR_TOO_LARGE_PATCH = 'fr-too-large';

/**
 * Patch: the first read takes the FR as the poll listed it (worker cache, pipeline queue, no Flxpoint
 * request) and GETs it only on a miss (v0.2.0); before, every FR was fetched from Flxpoint.
 */
const LIST_FED_PATCH = 'list-fed-first-read';

/**
 * Patch: a write whose outcome is unknown (retried attempt, lost answer) or refused (any 4xx) is settled by
 * reading the FR (workflows/settle.ts) (v0.2.0); before, error wording decided inside the activities.
 */
const SETTLE_PATCH = 'settle-writes-by-reading';
/** Patch: a fail that arrives while the acknowledge/adjust is in flight is refused and cleared (v0.2.0). */
const LATE_FAIL_PATCH = 'late-fail-refused';

/** Flxpoint's processing statuses after which there is nothing left for this source to do. */
const TERMINAL_UPSTREAM = new Set(['canceled', 'voided']);

/** A step ends the workflow with an outcome, or hands the next step its input. */
type Ended = { end: FrOutcome };
const ended = (outcome: FrOutcome): Ended => ({ end: outcome });
const isEnded = (x: unknown): x is Ended => typeof x === 'object' && x !== null && 'end' in x;

/** An adjust that did not happen: refused (the 4xx stands), FR gone upstream, or changed by someone else. */
interface AdjustFailed {
  adjustFailed: 'refused' | 'gone' | 'conflict';
  /** False on the v0.1.0 path: the FR was not read yet. */
  settled: boolean;
  detail: string;
}
const isAdjustFailed = (x: unknown): x is AdjustFailed =>
  typeof x === 'object' && x !== null && 'adjustFailed' in x;

const INTERRUPTED = Symbol('interrupted');

export async function processFulfillmentRequestWorkflow(
  input: ProcessFulfillmentRequestInput,
): Promise<FrStatus> {
  const fr = new FulfillmentRequestWorkflow(input);
  fr.setup();
  return fr.run();
}

class FulfillmentRequestWorkflow {
  private readonly api;
  private readonly local;
  /** The handler's activity: it heartbeats, so an operator's fail/cancel aborts it (ctx.signal). */
  private readonly handler;
  private readonly meter;
  /** What the `status` query returns: the FR's state itself, not a copy kept in sync. */
  private readonly status: FrStatus;
  /** Operator requests: `fail` (processing-failed) and `cancel` (every unshipped unit). */
  private failRequest: { reason: string } | null = null;
  private cancelRequest: { reason: string } | null = null;
  /** Flxpoint holds our acknowledgement or adjustment: processing-failed is no longer allowed. */
  private claimed = false;
  /** Shipments accepted by the update/signal and not yet created in Flxpoint, oldest first. */
  private readonly pending: ShipmentRecord[] = [];
  /** The running step an operator's fail/cancel may cut short (fetch and handler only). */
  private interruptibleScope: CancellationScope | null = null;

  constructor(private readonly input: ProcessFulfillmentRequestInput) {
    // Shadow mode: the same calls, their writes recorded instead of sent (workflows/shadow.ts).
    this.api = shadowAwareApi(flxpointActivities(input.sourceKey, input.settings), input, () =>
      this.refreshShadowWrites(),
    );
    this.local = pipelineActivities(input.settings);
    this.handler = handlerActivities(input.settings);
    // Replay-safe counters, exported with the worker's Prometheus metrics.
    this.meter = metricMeter.withTags({ source: input.sourceKey });
    this.status = {
      frId: input.frId,
      frNumber: input.frNumber ?? null,
      sourceId: input.sourceId,
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
    if (input.mode === 'shadow') this.status.shadowWrites = [];
  }

  // ---- the business flow ----------------------------------------------------------------------------------

  async run(): Promise<FrStatus> {
    this.meter.createCounter('flxpoint_fr_started', 'frs', 'FR workflows started').add(1);
    const fr = await this.fetch();
    if (isEnded(fr)) return this.finish(fr.end);
    const decided = await this.decide(fr);
    if (isEnded(decided)) return this.finish(decided.end);
    const decision = await this.commit(fr, decided);
    if (isEnded(decision)) return this.finish(decision.end);
    const claimed = await this.claim(decision);
    if (isEnded(claimed)) return this.finish(claimed.end);
    return this.finish(await this.ship(decision));
  }

  // ---- 1. fetch: the FR as listed moments ago (or a GET); an FR cancelled since then ends here ------------

  private async fetch(): Promise<FulfillmentRequestSnapshot | Ended> {
    this.setStep('fetching');
    await this.holdWhilePaused();
    let fr: FulfillmentRequestSnapshot | typeof INTERRUPTED;
    try {
      fr = await this.interruptible(() => this.firstRead());
    } catch (err) {
      if (flxpointKind(err) === 'not_found') return ended('not_found');
      if (isFrTooLarge(err) && patched(FR_TOO_LARGE_PATCH)) return this.tooLarge(failureMessage(err));
      throw err;
    }
    if (fr !== INTERRUPTED) {
      this.status.frNumber =
        (fr.fulfillmentRequestNumber as string | null | undefined) ?? this.status.frNumber;
      this.status.items = ledgerFromFr(fr);
      if (TERMINAL_UPSTREAM.has(fr.statusHandle ?? '')) return ended('cancelled_upstream');
      if (fr.statusHandle === 'processing_error') return ended('processing_failed');
      return fr;
    }
    if (this.failRequested()) return this.markFailed(this.failRequested()!.reason, 'operator');
    // Cancelled before we even read the FR: read it now (not interruptible) so the adjust can name items.
    fr = await this.api.fetchFulfillmentRequest({ frId: this.input.frId });
    this.status.items = ledgerFromFr(fr);
    return fr;
  }

  /**
   * The FR as the poll listed it moments ago when the worker still holds it (the list carries whole FRs),
   * else a GET. A failed lookup is only a miss: the GET follows.
   */
  private async firstRead(): Promise<FulfillmentRequestSnapshot> {
    if (patched(LIST_FED_PATCH)) {
      try {
        const listed = await listedFrActivities().listedFulfillmentRequest({
          sourceId: this.input.sourceId,
          frId: this.input.frId,
        });
        if (listed) return listed;
      } catch (err) {
        if (isCancellation(err) || isFrTooLarge(err)) throw err;
        log.warn('listed-FR lookup failed; reading the FR from Flxpoint', this.logTags());
      }
    }
    return this.api.fetchFulfillmentRequest({ frId: this.input.frId });
  }

  /** Nothing this integration can carry: tell Flxpoint once (processing-failed) instead of re-reading it. */
  private tooLarge(problem: string): Promise<Ended> {
    this.status.lastError = problem;
    log.error('FR too large to process; marking it processing-failed', { ...this.logTags(), error: problem });
    this.meter
      .createCounter('flxpoint_fr_too_large', 'frs', 'FRs too large to carry through Temporal')
      .add(1);
    return this.markFailed(`${problem.slice(0, 400)}; process it outside this integration.`, 'decision');
  }

  // ---- 2. decide: the integrator's handler (an operator's cancel decides "reject") -------------------------

  private async decide(fr: FulfillmentRequestSnapshot): Promise<HandlerDecision | Ended> {
    if (this.failRequested()) return this.markFailed(this.failRequested()!.reason, 'operator');
    if (this.cancelRequest) return this.operatorReject();
    await this.holdWhilePaused();
    this.setStep('handling');
    try {
      const d = await this.interruptible(() =>
        this.handler.decideFulfillmentRequest({
          sourceKey: this.input.sourceKey,
          sourceId: this.input.sourceId,
          workflowId: workflowInfo().workflowId,
          fr,
        }),
      );
      if (d !== INTERRUPTED) return d;
      if (this.failRequested()) return this.markFailed(this.failRequested()!.reason, 'operator');
      return this.operatorReject();
    } catch (err) {
      if (!isHandlerRejection(err)) throw err;
      this.status.lastError = failureMessage(err);
      return { kind: 'fail', reason: this.status.lastError.slice(0, 500) };
    }
  }

  private operatorReject(): HandlerDecision {
    return {
      kind: 'reject',
      reason: this.cancelRequest?.reason ?? 'cancelled by operator',
      killOrFillType: 'fill',
    };
  }

  // ---- 3. commit: local and idempotent; nothing is acknowledged before this --------------------------------

  private async commit(
    fr: FulfillmentRequestSnapshot,
    decision: HandlerDecision,
  ): Promise<HandlerDecision | Ended> {
    await this.holdWhilePaused();
    this.setStep('committing');
    const input = {
      sourceId: this.input.sourceId,
      frId: this.input.frId,
      frNumber: this.status.frNumber,
      workflowId: workflowInfo().workflowId,
      fr,
      decision,
    };
    if (!patched(LOCAL_STEP_PATCH)) {
      const committed = await this.local.commitFulfillmentRequest(input);
      this.status.decision = committed.decision;
      this.refreshDetails();
      return committed.decision;
    }
    let committed: Awaited<ReturnType<typeof this.local.commitFulfillmentRequest>> | typeof INTERRUPTED;
    try {
      committed = await this.interruptibleLocalStep(() => this.local.commitFulfillmentRequest(input));
    } catch (err) {
      if (!isLocalStoreRejection(err)) throw err;
      // The store refuses this FR's data on every attempt: tell Flxpoint (processing-failed, nothing was
      // acknowledged) rather than retry forever. The message names the FR and the problem, not the data.
      this.status.lastError = failureMessage(err);
      log.error('local store refused the FR; marking it processing-failed', {
        ...this.logTags(),
        error: this.status.lastError,
      });
      this.meter
        .createCounter('flxpoint_fr_store_refused', 'frs', 'FRs whose local commit the store refused')
        .add(1);
      return this.markFailed(
        `The integration could not store this fulfillment request locally (${this.status.lastError.slice(0, 300)}); ` +
          'it was not acknowledged.',
        'decision',
      );
    }
    if (committed === INTERRUPTED) {
      if (this.failRequested()) return this.markFailed(this.failRequested()!.reason, 'operator');
      // A cancel: nothing was acknowledged, so claim() cancels every unit without a local commit.
      this.status.decision = this.operatorReject();
      this.refreshDetails();
      return this.status.decision;
    }
    // On a replay after a crash the store answers with the decision stored first: that one is binding.
    this.status.decision = committed.decision;
    this.refreshDetails();
    return committed.decision;
  }

  /**
   * A local step (the commit) that an operator's fail or cancel sent while it runs cuts short, e.g. when the
   * database is down and the step keeps retrying. Unlike interruptible(), a cancel already decided (the
   * step then commits the operator's reject) does not skip it; only a new signal interrupts.
   */
  private async interruptibleLocalStep<T>(fn: () => Promise<T>): Promise<T | typeof INTERRUPTED> {
    const scope = new CancellationScope();
    this.interruptibleScope = scope;
    try {
      return await scope.run(fn);
    } catch (err) {
      if (isCancellation(err) && (this.failRequest || this.cancelRequest)) return INTERRUPTED;
      throw err;
    } finally {
      this.interruptibleScope = null;
    }
  }

  // ---- 4. claim: tell Flxpoint (acknowledge, adjust, or processing-failed) ---------------------------------

  private async claim(decision: HandlerDecision): Promise<void | Ended> {
    if (this.failRequested()) return this.markFailed(this.failRequested()!.reason, 'operator');
    if (decision.kind === 'fail') return this.markFailed(decision.reason, 'decision');
    await this.holdWhilePaused();
    if (this.failRequested()) return this.markFailed(this.failRequested()!.reason, 'operator');
    if (decision.kind === 'accept' && !this.cancelRequest) return this.acknowledge();
    return this.adjust(decision);
  }

  private async acknowledge(): Promise<void | Ended> {
    this.setStep('acknowledging');
    // What Flxpoint holds once our acknowledgement lands: every open unit acknowledged.
    const expected = applyDecision(this.status.items, { kind: 'accept' });
    const attempts = { uncertain: false };
    for (;;) {
      try {
        const res = await this.api.acknowledgeFulfillmentRequest({ frId: this.input.frId });
        log.info('acknowledged in Flxpoint', {
          ...this.logTags(),
          alreadyAcknowledged: res === 'already_acknowledged',
        });
        this.status.items = expected;
        break;
      } catch (err) {
        if (!isNonRetryable(err)) throw err;
        if (!patched(SETTLE_PATCH)) {
          // v0.1.0: "already acknowledged" was success inside the activity; any other 4xx ended the FR.
          this.status.lastError = failureMessage(err);
          log.warn('acknowledge refused by Flxpoint; not retrying', {
            ...this.logTags(),
            error: this.status.lastError,
          });
          return ended((await this.upstreamTerminal()) ? 'cancelled_upstream' : 'acknowledge_refused');
        }
        const unknown = isOutcomeUnknown(err);
        attempts.uncertain ||= unknown;
        const fr = await this.readBack();
        const s = settleAcknowledge(fr, expected, attempts);
        this.noteSettlement('acknowledge', s, err);
        if (s.kind === 'ours') {
          this.status.items = ledgerFromFr(fr as FulfillmentRequestSnapshot);
          break;
        }
        if (s.kind === 'absent' && unknown) continue;
        this.status.lastError = failureMessage(err);
        if (s.kind === 'absent') return ended('acknowledge_refused');
        if (s.kind === 'gone') return ended('cancelled_upstream');
        return this.conflictEnded('acknowledge', s.detail);
      }
    }
    this.claimed = true;
    this.refuseLateFail('acknowledge');
    this.meter
      .createCounter('flxpoint_fr_acknowledged', 'frs', 'FRs acknowledged in full in Flxpoint')
      .add(1);
    await this.recordOutcome('acknowledged');
  }

  /** A partial decision, a reject, or an operator's cancel before acknowledgement. */
  private async adjust(decision: HandlerDecision): Promise<void | Ended> {
    this.setStep('adjusting');
    const operatorCancel = this.cancelRequest !== null;
    const body =
      decision.kind === 'partial' && !operatorCancel
        ? adjustBody(applyDecision(this.status.items, decision), decision.killOrFillType)
        : adjustBody(
            applyDecision(this.status.items, { kind: 'reject', reason: '', killOrFillType: 'fill' }),
            decision.kind === 'reject' ? decision.killOrFillType : 'fill',
          );
    const adjusted = await this.adjustInFlxpoint(body, 'adjust');
    if (isAdjustFailed(adjusted)) {
      if (!adjusted.settled)
        return ended((await this.upstreamTerminal()) ? 'cancelled_upstream' : 'acknowledge_refused');
      if (adjusted.adjustFailed === 'refused') return ended('acknowledge_refused');
      if (adjusted.adjustFailed === 'gone') return ended('cancelled_upstream');
      return this.conflictEnded('adjust', adjusted.detail);
    }
    this.status.items = ledgerFromFr(adjusted);
    this.claimed = true;
    this.refuseLateFail('adjust');
    if (operatorCancel) return ended('cancelled_by_operator');
    // A partial decision that acknowledged nothing is a reject in Flxpoint's eyes (the FR is Canceled).
    if (decision.kind === 'reject' || this.status.items.every((i) => i.acknowledged === 0))
      return ended('rejected');
    await this.recordOutcome('adjusted');
  }

  /**
   * Issue 10 row 1: a `fail` that arrived while the acknowledge/adjust was in flight comes too late
   * (Flxpoint now holds our claim and allows processing-failed only before it). Refused visibly and
   * cleared, so the FR goes on and takes shipments instead of refusing them forever.
   */
  private refuseLateFail(what: 'acknowledge' | 'adjust'): void {
    const req = this.failRequested();
    if (!req || !patched(LATE_FAIL_PATCH)) return;
    this.failRequest = null;
    this.refuse(
      `fail refused: it arrived while the ${what} was in flight, and Flxpoint now holds it (processing-failed ` +
        'is allowed only before); the FR goes on and takes shipments; send the cancel signal to cancel the ' +
        `unshipped quantities instead (reason was: ${req.reason})`,
    );
  }

  // ---- 5. ship: wait for shipments (update/signal/intake), create each in Flxpoint -------------------------

  private async ship(decision: HandlerDecision): Promise<FrOutcome> {
    const deadline = workflowInfo().startTime.getTime() + this.input.settings.shipmentDeadlineMs;
    this.setStep('awaiting_shipment');
    while (!fullyResolved(this.status.items)) {
      if (this.pending.length === 0 && this.cancelRequest === null) {
        const arrived = await this.waitForShipmentOrCancel(deadline);
        if (!arrived) {
          this.status.overdue = true;
          log.warn('shipment deadline passed; still waiting', this.logTags());
          this.setStep('awaiting_shipment');
          continue;
        }
      }
      await this.holdWhilePaused();
      if (this.cancelRequest) {
        const cancelled = await this.cancelUnshipped();
        if (cancelled) return cancelled;
        continue;
      }
      const next = this.pending[0];
      if (!next) continue;
      const gone = await this.createShipment(next);
      this.unreserve(next);
      if (gone) return gone;
      this.setStep('awaiting_shipment');
    }
    return decision.kind === 'partial' ? 'adjusted_and_shipped' : 'acknowledged_and_shipped';
  }

  /** False when the shipment deadline passed first (the FR is then overdue and waits without a timer). */
  private async waitForShipmentOrCancel(deadline: number): Promise<boolean> {
    const ready = () => this.pending.length > 0 || this.cancelRequest !== null;
    const left = deadline - Date.now();
    if (!this.status.overdue && left > 0) return condition(ready, left);
    await condition(ready);
    return true;
  }

  /**
   * Cancels every unshipped unit: the outcome that ends the FR, or false when Flxpoint refused (the FR keeps
   * waiting for shipments).
   */
  private async cancelUnshipped(): Promise<FrOutcome | false> {
    this.setStep('cancelling');
    const adjusted = await this.adjustInFlxpoint(cancelUnshippedBody(this.status.items), 'cancel');
    if (isAdjustFailed(adjusted)) {
      if (adjusted.adjustFailed === 'gone') {
        this.rejectPending(`refused: ${adjusted.detail}`);
        return 'cancelled_upstream';
      }
      if (adjusted.adjustFailed === 'refused')
        this.refuse(`cancel refused by Flxpoint: ${this.status.lastError}`);
      this.cancelRequest = null;
      this.setStep('awaiting_shipment');
      return false;
    }
    this.status.items = ledgerFromFr(adjusted);
    for (const s of this.status.shipments) if (s.status === 'pending') s.status = 'rejected';
    this.pending.length = 0;
    return 'cancelled_by_operator';
  }

  /** Creates one shipment in Flxpoint; returns an outcome only when the FR turned out gone upstream. */
  private async createShipment(next: ShipmentRecord): Promise<FrOutcome | undefined> {
    this.setStep('creating_shipment', `creating shipment ${next.trackingNumber}`);
    const entry = this.status.shipments.find(
      (s) => s.trackingNumber === next.trackingNumber && s.status === 'pending',
    )!;
    const problems = shipmentProblems(next, this.status.items, []);
    if (problems.length) {
      entry.status = 'rejected';
      entry.error = problems.join('; ');
      this.refuse(`shipment ${next.trackingNumber} dropped: ${entry.error}`);
      return undefined;
    }
    const attempts = { uncertain: false };
    for (;;) {
      try {
        const created = await this.api.createShipment({
          frId: this.input.frId,
          sourceId: this.input.sourceId,
          shipment: next,
        });
        entry.status = created.duplicate ? 'duplicate' : 'created';
        entry.flxpointShipmentId = created.shipmentId;
        this.status.items = applyShipment(this.status.items, next);
        this.unreserve(next);
        await this.recordShipment(next, created.shipmentId);
        return undefined;
      } catch (err) {
        if (!isNonRetryable(err)) throw err;
        const message = failureMessage(err);
        if (!patched(SETTLE_PATCH)) {
          entry.status = 'rejected';
          entry.error = message;
          this.status.lastError = message;
          this.refuse(`shipment ${next.trackingNumber} refused by Flxpoint: ${message}`);
          return undefined;
        }
        const unknown = isOutcomeUnknown(err);
        attempts.uncertain ||= unknown;
        const fr = await this.readBack();
        const s = settleShipment(fr, next, attempts);
        this.noteSettlement('shipment', s, err);
        if (s.kind === 'gone') {
          // Issue 10 row 8: the FR is gone upstream; it takes no shipments and ends as such.
          const why = `refused by Flxpoint: ${s.detail}; the FR takes no shipments`;
          entry.status = 'rejected';
          entry.error = why;
          this.status.lastError = `shipment ${next.trackingNumber} ${why} (${message})`;
          this.refuse(`shipment ${next.trackingNumber} ${why}`);
          this.rejectPending(why);
          return 'cancelled_upstream';
        }
        // What Flxpoint records (ours, someone else's shipments, cancellations) is what the FR waits for.
        this.status.items = ledgerFromFr(fr as FulfillmentRequestSnapshot);
        // The read already counts this shipment if it exists: it no longer holds units in reserve (unless
        // it is absent after a lost answer, and is sent again below).
        if (!(s.kind === 'absent' && unknown)) this.unreserve(next);
        if (s.kind === 'ours') {
          entry.status = 'created';
          entry.flxpointShipmentId = s.shipmentId ?? null;
          await this.recordShipment(next, s.shipmentId ?? null);
          return undefined;
        }
        if (s.kind === 'absent' && unknown) continue;
        entry.status = 'rejected';
        if (s.kind === 'conflict') {
          entry.error = `conflict: ${s.detail}`;
          this.recordConflict(`shipment ${next.trackingNumber}`, s.detail);
          return undefined;
        }
        entry.error = message;
        this.status.lastError = message;
        this.refuse(`shipment ${next.trackingNumber} refused by Flxpoint: ${message}`);
        return undefined;
      }
    }
  }

  /**
   * Takes a shipment out of the pending reserve, in the same step as the ledger starts counting it: while
   * `recordShipment` is awaited, an update's validator must not count its units twice (ledger and reserve),
   * or the last units of an FR are refused with "only 0 remain".
   */
  private unreserve(shipment: ShipmentRecord): void {
    const i = this.pending.indexOf(shipment);
    if (i >= 0) this.pending.splice(i, 1);
  }

  private recordShipment(shipment: ShipmentRecord, flxpointShipmentId: number | null): Promise<unknown> {
    return this.local.recordShipment({
      sourceId: this.input.sourceId,
      frId: this.input.frId,
      shipment,
      flxpointShipmentId,
    });
  }

  /** Every shipment still waiting to be created is refused with `why` (the FR will take none). */
  private rejectPending(why: string): void {
    for (const s of this.status.shipments) {
      if (s.status !== 'pending') continue;
      s.status = 'rejected';
      s.error = why;
    }
    this.pending.length = 0;
  }

  // ---- 6. finish ---------------------------------------------------------------------------------------------

  private async finish(outcome: FrOutcome): Promise<FrStatus> {
    this.status.outcome = outcome;
    this.meter
      .createCounter('flxpoint_fr_finished', 'frs', 'FR workflows finished, by outcome')
      .add(1, { outcome });
    this.setStep('done');
    await this.recordOutcome(outcome);
    log.info('FR finished', { ...this.logTags(), outcome });
    // Let a running update/signal handler answer before the workflow closes.
    await condition(allHandlersFinished);
    return this.status;
  }

  /** A method, not the field: signals change it while a step awaits, and TypeScript would not re-read it. */
  private failRequested(): { reason: string } | null {
    return this.failRequest;
  }

  // ---- shared by the steps -----------------------------------------------------------------------------------

  /** processing-failed in Flxpoint; allowed only before acknowledgement. */
  private async markFailed(reason: string, by: 'decision' | 'operator'): Promise<Ended> {
    await this.holdWhilePaused();
    this.setStep('failing');
    const attempts = { uncertain: false };
    for (;;) {
      try {
        await this.api.markFulfillmentRequestFailed({ frId: this.input.frId, reason });
        log.info('marked processing-failed', { ...this.logTags(), by });
        return ended('processing_failed');
      } catch (err) {
        if (!isNonRetryable(err)) throw err;
        const message = failureMessage(err);
        if (!patched(SETTLE_PATCH)) {
          this.status.lastError = message;
          this.refuse(`processing-failed refused by Flxpoint: ${message}`);
          return ended((await this.upstreamTerminal()) ? 'cancelled_upstream' : 'processing_failed_refused');
        }
        const unknown = isOutcomeUnknown(err);
        attempts.uncertain ||= unknown;
        const s = settleProcessingFailed(await this.readBack(), attempts);
        this.noteSettlement('processing-failed', s, err);
        if (s.kind === 'ours') {
          log.info('marked processing-failed', { ...this.logTags(), by });
          return ended('processing_failed');
        }
        if (s.kind === 'absent' && unknown) continue;
        this.status.lastError = message;
        if (s.kind === 'conflict') return this.conflictEnded('processing-failed', s.detail);
        this.refuse(`processing-failed refused by Flxpoint: ${message}`);
        return ended(s.kind === 'gone' ? 'cancelled_upstream' : 'processing_failed_refused');
      }
    }
  }

  /**
   * One adjust (claim or operator cancel). A refusal or an unknown outcome is settled by reading the FR
   * (v0.2.0); `settled: false` is the v0.1.0 path, where the caller asks upstreamTerminal() itself.
   */
  private async adjustInFlxpoint(
    body: ReturnType<typeof adjustBody>,
    what: 'adjust' | 'cancel',
  ): Promise<FulfillmentRequestSnapshot | AdjustFailed> {
    const before = this.status.items;
    const attempts = { uncertain: false };
    for (;;) {
      try {
        return await this.api.adjustFulfillmentRequest({ frId: this.input.frId, body });
      } catch (err) {
        if (!isNonRetryable(err)) throw err;
        const message = failureMessage(err);
        if (!patched(SETTLE_PATCH)) {
          this.status.lastError = message;
          log.warn('adjust refused by Flxpoint; not retrying', { ...this.logTags(), error: message });
          return { adjustFailed: 'refused', settled: false, detail: message };
        }
        const unknown = isOutcomeUnknown(err);
        attempts.uncertain ||= unknown;
        const fr = await this.readBack();
        const s = settleAdjust(fr, body, before, attempts);
        this.noteSettlement(what, s, err);
        if (s.kind === 'ours') return fr as FulfillmentRequestSnapshot;
        if (s.kind === 'absent' && unknown) continue;
        this.status.lastError = message;
        if (s.kind === 'gone') return { adjustFailed: 'gone', settled: true, detail: s.detail };
        if (s.kind === 'absent') {
          log.warn('adjust refused by Flxpoint; not retrying', { ...this.logTags(), error: message });
          return { adjustFailed: 'refused', settled: true, detail: message };
        }
        // Someone else changed the quantities: the FR waits for what Flxpoint now records.
        this.status.items = ledgerFromFr(fr as FulfillmentRequestSnapshot);
        if (what === 'cancel') this.recordConflict('cancel', s.detail);
        return { adjustFailed: 'conflict', settled: true, detail: s.detail };
      }
    }
  }

  /** Asks Flxpoint why a 4xx happened: an FR cancelled or voided upstream ends as such (v0.1.0 path). */
  private async upstreamTerminal(): Promise<boolean> {
    try {
      const fr = await this.api.fetchFulfillmentRequest({ frId: this.input.frId });
      return TERMINAL_UPSTREAM.has(fr.statusHandle ?? '');
    } catch (err) {
      if (flxpointKind(err) === 'not_found') return true;
      throw err;
    }
  }

  /** A fresh read of the FR to settle a write (one fetch activity, one request); a 404 reads `not_found`. */
  private async readBack(): Promise<ReadBack> {
    try {
      return await this.api.fetchFulfillmentRequest({ frId: this.input.frId });
    } catch (err) {
      if (flxpointKind(err) === 'not_found') return 'not_found';
      throw err;
    }
  }

  /** Log line and metric for every write settled by reading (docs/operations.md, metrics). */
  private noteSettlement(write: string, s: Settlement, err: unknown): void {
    this.meter
      .createCounter(
        'flxpoint_writes_settled',
        'writes',
        'Uncertain Flxpoint writes settled by reading the FR',
      )
      .add(1, { write, result: s.kind });
    log.info('Flxpoint write settled by reading the FR', {
      ...this.logTags(),
      write,
      result: s.kind,
      ...('detail' in s ? { detail: s.detail } : {}),
      after: failureMessage(err).slice(0, 200),
    });
  }

  /** Flxpoint shows the write done, but not (provably) by us: visible in status, search attribute and log. */
  private recordConflict(write: string, detail: string): void {
    const line = `conflict on ${write}: ${detail}; see docs/operations.md, "Conflicts"`;
    const conflicts = (this.status.conflicts ??= []);
    conflicts.push(line);
    if (conflicts.length > 20) conflicts.shift();
    this.status.lastError = line;
    log.warn(line, this.logTags());
    this.refreshDetails();
  }

  private conflictEnded(write: string, detail: string): Ended {
    this.recordConflict(write, detail);
    return ended('conflict');
  }

  private recordOutcome(outcome: string): Promise<void> {
    return this.local.recordFrOutcome({
      sourceKey: this.input.sourceKey,
      sourceId: this.input.sourceId,
      frId: this.input.frId,
      outcome,
    });
  }

  private async holdWhilePaused(): Promise<void> {
    if (!this.status.paused) return;
    this.refreshDetails();
    await condition(() => !this.status.paused || this.failRequest !== null || this.cancelRequest !== null);
  }

  /** Runs a step that an operator's fail/cancel may cut short (nothing external has happened yet). */
  private async interruptible<T>(fn: () => Promise<T>): Promise<T | typeof INTERRUPTED> {
    if (this.failRequest || this.cancelRequest) return INTERRUPTED;
    const scope = new CancellationScope();
    this.interruptibleScope = scope;
    try {
      return await scope.run(fn);
    } catch (err) {
      if (isCancellation(err) && (this.failRequest || this.cancelRequest)) return INTERRUPTED;
      throw err;
    } finally {
      this.interruptibleScope = null;
    }
  }

  // ---- operator controls and shipments (registered once) -------------------------------------------------

  setup(): void {
    setHandler(statusQuery, () => this.status);
    setHandler(pauseSignal, (req) => {
      if (this.status.outcome)
        return this.refuse(`pause ignored: FR already finished (${this.status.outcome})`);
      this.status.paused = true;
      log.info('paused by operator', {
        ...this.logTags(),
        reason: typeof req?.reason === 'string' ? req.reason : undefined,
      });
      this.refreshDetails();
    });
    setHandler(resumeSignal, () => {
      this.status.paused = false;
      log.info('resumed by operator', this.logTags());
      this.refreshDetails();
    });
    setHandler(failSignal, (req) => this.onFail(req));
    setHandler(cancelSignal, (req) => this.onCancel(req));
    setHandler(addShipmentUpdate, (raw) => this.acceptShipment(raw), {
      validator: (raw) => {
        const problems = this.shipmentRefusal(raw, true);
        if (problems.length) throw new Error(`shipment rejected: ${problems.join('; ')}`);
      },
    });
    setHandler(shipmentSignal, (raw) => {
      const problems = this.shipmentRefusal(raw, patched(SHIPMENT_VALIDATION_PATCH));
      if (problems.length) return this.refuse(`shipment signal refused: ${problems.join('; ')}`);
      this.acceptShipment(raw);
    });
  }

  private onFail(req: { reason?: unknown } | undefined): void {
    const reason = typeof req?.reason === 'string' ? req.reason.trim() : '';
    if (!reason)
      return this.refuse('fail refused: send {"reason": "<why>"} with a non-empty reason; nothing changed');
    if (this.status.outcome) return this.refuse(`fail refused: FR already finished (${this.status.outcome})`);
    if (this.claimed) {
      return this.refuse(
        'fail refused: the FR is already acknowledged in Flxpoint, which allows processing-failed only from ' +
          'Processing/Processed; send the cancel signal to cancel the unshipped quantities instead',
      );
    }
    this.failRequest = { reason: reason.slice(0, 500) };
    this.interruptibleScope?.cancel();
  }

  private onCancel(req: unknown): void {
    if (this.status.outcome)
      return this.refuse(`cancel refused: FR already finished (${this.status.outcome})`);
    if (req !== undefined && (typeof req !== 'object' || req === null)) {
      return this.refuse(
        'cancel refused: the argument must be omitted or {"reason": "<why>"}; nothing changed',
      );
    }
    const reason = (req as { reason?: unknown } | undefined)?.reason;
    this.cancelRequest = {
      reason: typeof reason === 'string' && reason.trim() ? reason.trim() : 'cancelled by operator',
    };
    this.interruptibleScope?.cancel();
  }

  /** Why a shipment cannot be taken now, or [] when it can. A repeat of a known tracking number is fine. */
  private shipmentRefusal(raw: unknown, sharedValidation: boolean): string[] {
    const frId = this.input.frId;
    if (this.status.outcome) return [`FR ${frId} is finished (${this.status.outcome}); no more shipments`];
    const d = this.status.decision;
    if (d && (d.kind === 'reject' || d.kind === 'fail'))
      return [`FR ${frId} was ${d.kind === 'reject' ? 'rejected' : 'failed'}; it takes no shipments`];
    if (this.failRequest || this.cancelRequest)
      return [`FR ${frId} is being ${this.failRequest ? 'failed' : 'cancelled'}; no more shipments`];
    const tn = (raw as { trackingNumber?: unknown } | null)?.trackingNumber;
    if (typeof tn === 'string' && this.knownShipment(tn.trim())) return [];
    if (this.status.items.length === 0) return [`FR ${frId} has not been fetched yet; retry in a moment`];
    if (!sharedValidation) return shipmentProblems(raw, this.status.items, this.pending);
    const checked = normalizeShipment(raw);
    if (!checked.ok) return checked.problems;
    return shipmentProblems(checked.shipment, this.status.items, this.pending);
  }

  private knownShipment(trackingNumber: string): boolean {
    return this.status.shipments.some((s) => s.trackingNumber === trackingNumber && s.status !== 'rejected');
  }

  private acceptShipment(raw: ShipmentRecord): AddShipmentResult {
    const checked = normalizeShipment(raw);
    // A record refused by normalizeShipment only gets here from a v0.1.0 history's signal (unpatched path).
    const record: ShipmentRecord = checked.ok
      ? checked.shipment
      : {
          trackingNumber: raw.trackingNumber.trim(),
          items: raw.items.map((i) => ({ id: i.id, quantity: i.quantity })),
        };
    const { trackingNumber } = record;
    if (this.knownShipment(trackingNumber)) return { trackingNumber, status: 'duplicate' };
    this.pending.push(record);
    this.status.shipments.push({ trackingNumber, status: 'pending', record });
    this.refreshDetails();
    return { trackingNumber, status: 'accepted' };
  }

  // ---- visibility: search attribute, Web UI details, refusals ----------------------------------------------

  private setStep(step: FrStep, extra?: string): void {
    this.status.step = step;
    const value = this.stepAttribute(step);
    upsertSearchAttributes([{ key: FR_STEP, value }]);
    this.refreshDetails(extra);
  }

  /** FlxpointFrStep: the step, flagged when the FR is overdue or holds a conflict an operator must look at. */
  private stepAttribute(step: FrStep): string {
    if (step === 'done' && this.status.outcome === 'conflict') return 'conflict';
    if (step !== 'awaiting_shipment') return step;
    if (this.status.overdue) return 'awaiting_shipment_overdue';
    return this.status.conflicts?.length ? 'awaiting_shipment_conflict' : step;
  }

  private refreshDetails(extra?: string): void {
    const s = this.status;
    const lines = [
      `**FR** ${s.frNumber ?? s.frId} (id ${s.frId}) · source ${this.input.sourceKey} (${s.sourceId})`,
      `**step** ${s.step}${s.paused ? ' · **PAUSED**' : ''}${s.overdue ? ' · **OVERDUE**' : ''}`,
      s.decision ? `**decision** ${s.decision.kind}` : '',
      s.outcome ? `**outcome** ${s.outcome}` : '',
      s.shipments.length
        ? `**shipments** ${s.shipments.map((x) => `${x.trackingNumber} (${x.status})`).join(', ')}`
        : '',
      s.lastError ? `**last error** ${s.lastError}` : '',
      s.conflicts?.length ? `**conflict** ${s.conflicts.at(-1)}` : '',
      shadowDetails(s.shadowWrites),
      extra ?? '',
    ];
    setCurrentDetails(lines.filter(Boolean).join('\n\n'));
  }

  /** Shadow mode: the status and details show every write recorded so far (workflows/shadow.ts). */
  private async refreshShadowWrites(): Promise<void> {
    this.status.shadowWrites = await recordedWrites(this.input.settings);
    this.refreshDetails();
  }

  private refuse(message: string): void {
    this.status.refusals.push(message);
    if (this.status.refusals.length > 20) this.status.refusals.shift();
    log.warn(message, this.logTags());
  }

  private logTags(): { frId: number; sourceId: number } {
    return { frId: this.input.frId, sourceId: this.input.sourceId };
  }
}
