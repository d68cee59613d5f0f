import { Context } from '@temporalio/activity';
import { isShadowWorkflowId, parseFrWorkflowId } from '../common/ids';
import { FlxpointClient, type FlxpointClientOptions } from './flxpoint/client';
import { FlxpointError } from './flxpoint/errors';
import type { FulfillmentRequest } from './flxpoint/schemas';
import type { IncomingResponse, OutgoingRequest } from './flxpoint/transport';
import type { ShadowWrite } from '../store/shadow-store';

// The Flxpoint client of every worker process, live or shadow (FLXPOINT_MODE, docs/operations.md "Shadow
// mode"). Reads (GET) always go to Flxpoint. A write is decided by the workflow that asked for it, not by
// the process, so a mixed fleet during a mode switch can never send a shadow write or swallow a live one:
//
//   workflow `shadow:fr:…`            → recorded (store, metric) and answered with a synthetic success;
//   live workflow, FLXPOINT_MODE=live → sent;
//   live workflow, FLXPOINT_MODE=shadow → refused with a retryable error: it waits for a live worker.
//
// The recorded request is exactly what would have gone on the wire (method, path, query, JSON body: the
// client's own request, after its wire mapping) and never a header, so never the token.

export type FlxpointMode = 'live' | 'shadow';

/** Which activity is making the request: the identity of a recorded write. */
export interface CallContext {
  workflowId: string;
  runId: string;
  activityId: string;
  attempt: number;
}

export interface ShadowRecorder {
  record(write: Omit<ShadowWrite, 'recordedAt'>): Promise<{ inserted: boolean }>;
}

export interface ShadowClientOptions extends FlxpointClientOptions {
  mode: FlxpointMode;
  sourceId: number;
  recorder: ShadowRecorder;
  /** The calling activity; default: the Temporal activity context, undefined outside an activity. */
  context?: () => CallContext | undefined;
}

export class ShadowingFlxpointClient extends FlxpointClient {
  readonly mode: FlxpointMode;
  readonly #sourceId: number;
  readonly #recorder: ShadowRecorder;
  readonly #context: () => CallContext | undefined;
  /**
   * Writes made so far per activity attempt: each gets its own `seq`, and a retried attempt counts from 0
   * again, so its writes hit the rows of the first attempt and are recorded once.
   */
  readonly #seqs = new Map<string, number>();

  constructor(opts: ShadowClientOptions) {
    super(opts);
    this.mode = opts.mode;
    this.#sourceId = opts.sourceId;
    this.#recorder = opts.recorder;
    this.#context = opts.context ?? activityContext;
  }

  protected override async send(req: OutgoingRequest): Promise<IncomingResponse> {
    if (req.method === 'GET') return super.send(req);
    const ctx = this.#context();
    if (ctx && isShadowWorkflowId(ctx.workflowId)) return this.#record(req, ctx);
    if (this.mode === 'shadow') {
      throw new FlxpointError({
        kind: 'network',
        method: req.method,
        path: req.path,
        detail:
          `not sent: this worker runs FLXPOINT_MODE=shadow and sends no writes, but ${ctx?.workflowId ?? 'the caller'} ` +
          'is a live workflow; it is retried until a live worker (FLXPOINT_MODE=live) takes it',
      });
    }
    return super.send(req);
  }

  async #record(req: OutgoingRequest, ctx: CallContext): Promise<IncomingResponse> {
    // The synthetic answer first: an adjust reads the FR, and a failed read must record nothing.
    const answer = await this.#answer(req);
    const attempt = `${ctx.runId}/${ctx.activityId}/${ctx.attempt}`;
    const seq = this.#seqs.get(attempt) ?? 0;
    this.#seqs.set(attempt, seq + 1);
    const fr = parseFrWorkflowId(ctx.workflowId);
    await this.#recorder.record({
      workflowId: ctx.workflowId,
      runId: ctx.runId,
      activityId: ctx.activityId,
      seq,
      sourceId: this.#sourceId,
      frId: fr && /^\d+$/.test(fr.frId) ? Number(fr.frId) : null,
      endpoint: endpointOf(req),
      method: req.method,
      path: req.path,
      // Writes carry no list-valued parameter; one would be recorded comma-joined.
      query:
        req.query && Object.keys(req.query).length
          ? Object.fromEntries(
              Object.entries(req.query).map(([k, v]) => [k, typeof v === 'string' ? v : v.join(',')]),
            )
          : null,
      body: req.json ?? null,
    });
    if (this.#seqs.size > 1000) this.#seqs.clear();
    return answer;
  }

  /** What Flxpoint would have answered had it accepted the write (its body is what the client parses). */
  async #answer(req: OutgoingRequest): Promise<IncomingResponse> {
    const ok = (status: number, body: unknown): IncomingResponse => ({
      status,
      headers: { 'content-type': 'application/json' },
      text: body === undefined ? '' : JSON.stringify(body),
    });
    const adjust = /^\/fulfillment-requests\/(\d+)\/adjust$/.exec(req.path);
    if (adjust) {
      const current = await super.send({ method: 'GET', path: `/fulfillment-requests/${adjust[1]}` });
      return ok(200, applyAdjust(JSON.parse(current.text) as FulfillmentRequest, req.json as AdjustBody));
    }
    if (req.path === '/shipments') {
      // A shipment id of 0: no shipment exists in Flxpoint (ids there are positive).
      const body = req.json as { shipment?: Record<string, unknown> } & Record<string, unknown>;
      return ok(201, { ...body, ...body.shipment, id: 0 });
    }
    return ok(200, undefined);
  }
}

function activityContext(): CallContext | undefined {
  let info;
  try {
    info = Context.current().info;
  } catch {
    return undefined; // not inside an activity (a CLI, a test)
  }
  if (!info.workflowExecution) return undefined; // a standalone activity: no workflow asked
  return {
    workflowId: info.workflowExecution.workflowId,
    runId: info.workflowExecution.runId,
    activityId: info.activityId,
    attempt: info.attempt,
  };
}

function endpointOf(req: OutgoingRequest): string {
  if (req.path === '/shipments') return 'create-shipment';
  const m = /^\/fulfillment-requests\/[^/]+\/([a-z-]+)$/.exec(req.path);
  return m ? m[1]! : 'other';
}

interface AdjustBody {
  items?:
    | {
        id?: number;
        sku?: string;
        acknowledgedQuantity?: number;
        cancelledQuantity?: number;
      }[]
    | null;
  cancelUnacknowledgedItemQuantity?: boolean | null;
}

/**
 * The FR as Flxpoint would return it after the adjust: absolute quantities per item (by id, else sku), no
 * items = acknowledge everything open, then the status. The source's saved "cancel unacknowledged" setting
 * is unknown here, so only an explicit `cancelUnacknowledgedItemQuantity: true` applies it (the workflow
 * always sends explicit quantities for every item, so the result does not depend on it).
 */
export function applyAdjust(fr: FulfillmentRequest, body: AdjustBody): FulfillmentRequest {
  const items = fr.fulfillmentRequestItems.map((i) => ({ ...i }));
  const n = (v: number | null | undefined) => v ?? 0;
  if (!body.items || body.items.length === 0) {
    for (const i of items) i.acknowledgedQuantity = i.quantity - n(i.canceledQuantity) - n(i.voidedQuantity);
  } else {
    for (const adj of body.items) {
      const target =
        items.find((i) => adj.id !== undefined && i.id === adj.id) ??
        items.find((i) => adj.id === undefined && i.sku === adj.sku);
      if (!target) continue;
      target.acknowledgedQuantity = adj.acknowledgedQuantity ?? target.acknowledgedQuantity;
      target.canceledQuantity = adj.cancelledQuantity ?? target.canceledQuantity;
    }
  }
  if (body.cancelUnacknowledgedItemQuantity === true) {
    for (const i of items) i.canceledQuantity = i.quantity - n(i.acknowledgedQuantity) - n(i.voidedQuantity);
  }
  const handle = items.every((i) => n(i.canceledQuantity) + n(i.voidedQuantity) >= i.quantity)
    ? 'canceled'
    : items.some((i) => n(i.acknowledgedQuantity) > 0)
      ? 'acknowledged'
      : (fr.fulfillmentRequestStatus?.handle ?? null);
  return {
    ...fr,
    fulfillmentRequestItems: items,
    fulfillmentRequestStatus: { ...(fr.fulfillmentRequestStatus ?? {}), handle, name: handle },
  };
}
