import { MonotonicClock } from './clock';
import { fakeAddress, fakeProducts } from './fake-data';
import {
  type ProcessingStatus,
  type SimFr,
  type SimFrMeta,
  type SimItem,
  type SimOrder,
  type SimShipment,
  NEW_WORK_STATUSES,
  PROCESSING_STATUS_NAMES,
  deriveQuantities,
  setProcessingStatus,
} from './model';
import { type Rng } from './rng';
import { SimHttpError, badRequest, notFound } from './sim-error';
import { SortedIds } from './sorted-ids';

// The Flxpoint-side state machine: FRs, their orders and shipments, and every transition the API allows.
// Operations that a Source token performs take the token's sourceId and refuse other sources' FRs with 404,
// as Flxpoint does. Errors are SimHttpError with the status and text the real API would plausibly send.

export interface SeedOptions {
  count: number;
  /** Lines per FR, default 2. */
  itemsPerFr?: number;
  /** Default: the first configured source. */
  sourceId?: number;
  /** Units per line, inclusive range, default 1..5. */
  quantity?: { min: number; max: number };
  /** Processing status the FRs start in, default `processing` (sent to the source). */
  status?: 'processing' | 'processed' | 'unprocessed';
}

export interface StoreOptions {
  rng: Rng;
  defaultSourceId: number;
  /** What `cancelUnacknowledgedItemQuantity: null` means: the source's saved setting. */
  sourceCancelsUnacknowledged: boolean;
  /** Id of the first FR created (default 1). */
  firstFrId?: number;
}

export interface OrderCursorsMs {
  order?: number;
  fr?: number;
  shipment?: number;
}

interface ChangeEntry {
  t: number;
  orderId: number;
}

export class FrStore {
  private readonly frs = new Map<number, SimFr>();
  private readonly meta = new Map<number, SimFrMeta>();
  private readonly orders = new Map<number, SimOrder>();
  private readonly shipments = new Map<number, SimShipment>();
  /** Per source, every FR id in id order (ids are issued ascending, so this stays sorted by appending). */
  private readonly bySource = new Map<number, number[]>();
  /**
   * Per source, ids of FRs in Processing/Processed ordered by id: the `status=NEW` list is a slice of it, so a
   * page costs O(size) even with 100k acknowledged FRs. Acknowledging removes the id, which shifts the
   * offsets of later pages exactly as the real offset pagination does.
   */
  private readonly newWork = new Map<number, SortedIds>();
  /** Per FR, tracking numbers already used (duplicate detection). */
  private readonly trackingByFr = new Map<number, Map<string, number>>();
  /** Append-only change logs in time order: `GET /orders` binary-searches them from the cursor. */
  private readonly orderLog: ChangeEntry[] = [];
  private readonly frLog: ChangeEntry[] = [];
  private readonly shipmentLog: ChangeEntry[] = [];
  private readonly clock = new MonotonicClock();
  private nextFrId = 1;
  private nextItemId = 1;
  private nextOrderId = 1;
  private nextOrderItemId = 1;
  private nextShipmentId = 1;
  private nextShipmentItemId = 1;
  private nextAddressId = 1;

  constructor(private readonly opts: StoreOptions) {
    this.nextFrId = opts.firstFrId ?? 1;
  }

  get size(): number {
    return this.frs.size;
  }

  // ---------- creation ----------

  seed(o: SeedOptions): number[] {
    const ids: number[] = [];
    for (let i = 0; i < o.count; i++) ids.push(this.createFr(o).id);
    return ids;
  }

  createFr(o: Omit<SeedOptions, 'count'> = {}): SimFr {
    const rng = this.opts.rng;
    const sourceId = o.sourceId ?? this.opts.defaultSourceId;
    const lines = o.itemsPerFr ?? 2;
    const qMin = o.quantity?.min ?? 1;
    const qMax = o.quantity?.max ?? 5;
    const now = this.clock.nowMs();
    const iso = new Date(now).toISOString();
    const id = this.nextFrId++;
    const order: SimOrder = {
      id: this.nextOrderId++,
      orderNumber: `SO-${String(100000 + id)}`,
      channelId: 77,
      insertedAt: iso,
      updatedAt: iso,
      frIds: [id],
    };
    const shipTo = fakeAddress(rng, this.nextAddressId++);
    const billTo = rng.chance(0.7)
      ? { ...shipTo, id: this.nextAddressId++ }
      : fakeAddress(rng, this.nextAddressId++);
    const items: SimItem[] = fakeProducts(rng, lines).map((p, idx) => {
      const quantity = rng.int(qMin, qMax);
      return {
        id: this.nextItemId++,
        fulfillmentRequestId: id,
        orderItemId: this.nextOrderItemId++,
        lineItemNumber: idx + 1,
        sku: p.sku,
        title: p.title,
        quantity,
        cost: p.cost,
        subtotal: Math.round(p.cost * quantity * 100) / 100,
        acknowledgedQuantity: 0,
        secondaryAcknowledgedQuantity: 0,
        canceledQuantity: 0,
        shippedQuantity: 0,
        voidedQuantity: 0,
        inventoryVariantId: 900000 + (p.sku.length * 7919 + idx),
      };
    });
    const status = o.status ?? 'processing';
    const fr: SimFr = {
      id,
      fulfillmentRequestNumber: `FR-${String(id).padStart(6, '0')}`,
      orderId: order.id,
      sourceId,
      channelId: order.channelId,
      fulfillmentRequestStatus: { name: PROCESSING_STATUS_NAMES[status], handle: status },
      fulfillmentRequestFulfillmentStatus: { name: 'Awaiting Shipment', handle: 'awaiting_shipment' },
      shippedStatus: 'Not Started',
      shippingAddress: shipTo,
      billingAddress: billTo,
      note: rng.chance(0.15) ? 'Leave at the back door' : null,
      confirmationNumber: null,
      totalItems: 0,
      totalQuantity: 0,
      totalCost: 0,
      shippedQuantity: 0,
      sentAt: iso,
      generatedAt: iso,
      lastModifiedAt: iso,
      acknowledgedAt: null,
      secondaryAcknowledgedAt: null,
      canceledAt: null,
      voidedAt: null,
      cancelReason: null,
      voidedReason: null,
      processingErrorReason: null,
      fulfillmentRequestItems: items,
      shipments: [],
    };
    deriveQuantities(fr);
    this.frs.set(id, fr);
    this.meta.set(id, { adjustments: [] });
    this.orders.set(order.id, order);
    let list = this.bySource.get(sourceId);
    if (!list) this.bySource.set(sourceId, (list = []));
    list.push(id);
    this.syncNewWork(fr);
    this.orderLog.push({ t: now, orderId: order.id });
    this.frLog.push({ t: now, orderId: order.id });
    return fr;
  }

  // ---------- reads ----------

  /** Any FR, regardless of source (admin). */
  peek(id: number): SimFr | undefined {
    return this.frs.get(id);
  }

  peekMeta(id: number): SimFrMeta | undefined {
    return this.meta.get(id);
  }

  /** An FR as a Source token sees it: another source's FR does not exist. */
  visible(sourceId: number, id: number): SimFr {
    const fr = this.frs.get(id);
    if (!fr || fr.sourceId !== sourceId) throw notFound(`Fulfillment request ${id} not found`);
    return fr;
  }

  list(sourceId: number, statuses: ReadonlySet<ProcessingStatus>, page: number, size: number): SimFr[] {
    const offset = (page - 1) * size;
    const out: SimFr[] = [];
    if (isSubset(statuses, NEW_WORK_STATUSES)) {
      const index = this.newWork.get(sourceId);
      if (!index) return out;
      if (statuses.size === NEW_WORK_STATUSES.size) {
        for (const id of index.slice(offset, offset + size)) out.push(this.frs.get(id)!);
        return out;
      }
      return this.filterPage(index.values(), statuses, offset, size);
    }
    return this.filterPage(this.bySource.get(sourceId) ?? [], statuses, offset, size);
  }

  count(sourceId: number, statuses: ReadonlySet<ProcessingStatus>): number {
    if (isSubset(statuses, NEW_WORK_STATUSES) && statuses.size === NEW_WORK_STATUSES.size) {
      return this.newWork.get(sourceId)?.length ?? 0;
    }
    let n = 0;
    for (const id of this.bySource.get(sourceId) ?? []) {
      if (statuses.has(this.frs.get(id)!.fulfillmentRequestStatus.handle)) n++;
    }
    return n;
  }

  private filterPage(
    ids: Iterable<number>,
    statuses: ReadonlySet<ProcessingStatus>,
    offset: number,
    size: number,
  ): SimFr[] {
    const out: SimFr[] = [];
    let skipped = 0;
    for (const id of ids) {
      const fr = this.frs.get(id)!;
      if (!statuses.has(fr.fulfillmentRequestStatus.handle)) continue;
      if (skipped < offset) {
        skipped++;
        continue;
      }
      out.push(fr);
      if (out.length >= size) break;
    }
    return out;
  }

  listShipments(sourceId: number, q: { frId?: number; page: number; size: number }): SimShipment[] {
    let all: SimShipment[];
    if (q.frId !== undefined) {
      const fr = this.frs.get(q.frId);
      all = fr && fr.sourceId === sourceId ? fr.shipments : [];
    } else {
      all = [...this.shipments.values()].filter((s) => s.sourceId === sourceId);
    }
    const offset = (q.page - 1) * q.size;
    return all.slice(offset, offset + q.size);
  }

  getShipment(sourceId: number, id: number): SimShipment {
    const s = this.shipments.get(id);
    if (!s || s.sourceId !== sourceId) throw notFound(`Shipment ${id} not found`);
    return s;
  }

  /** Orders (with this source's FRs and shipments) where anything changed strictly after a given cursor. */
  ordersChangedSince(sourceId: number, c: OrderCursorsMs): { order: SimOrder; frs: SimFr[] }[] {
    const ids = new Set<number>();
    const collect = (log: ChangeEntry[], after: number | undefined) => {
      for (let i = firstAfter(log, after ?? -Infinity); i < log.length; i++) ids.add(log[i]!.orderId);
    };
    collect(this.orderLog, c.order);
    collect(this.frLog, c.fr);
    collect(this.shipmentLog, c.shipment);
    const out: { order: SimOrder; frs: SimFr[] }[] = [];
    for (const id of [...ids].sort((a, b) => a - b)) {
      const order = this.orders.get(id)!;
      const frs = order.frIds.map((f) => this.frs.get(f)!).filter((fr) => fr.sourceId === sourceId);
      if (frs.length > 0) out.push({ order, frs });
    }
    return out;
  }

  // ---------- transitions a Source token performs ----------

  acknowledge(sourceId: number, id: number, by: SimFrMeta['acknowledgedBy'] = 'api'): SimFr {
    const fr = this.visible(sourceId, id);
    const s = fr.fulfillmentRequestStatus.handle;
    if (s === 'acknowledged') {
      throw badRequest(
        `Fulfillment request ${id} is already acknowledged (acknowledged at ${fr.acknowledgedAt})`,
      );
    }
    if (!NEW_WORK_STATUSES.has(s)) {
      throw badRequest(
        `Invalid status transition: fulfillment request ${id} is ${fr.fulfillmentRequestStatus.name}; only a fulfillment request in processing status Processing or Processed can be acknowledged`,
      );
    }
    for (const it of fr.fulfillmentRequestItems) {
      it.acknowledgedQuantity = Math.max(
        it.acknowledgedQuantity,
        it.quantity - it.canceledQuantity - it.voidedQuantity,
      );
    }
    this.markAcknowledged(fr, by);
    this.touch(fr);
    return fr;
  }

  adjust(sourceId: number, id: number, body: unknown): SimFr {
    const fr = this.visible(sourceId, id);
    const s = fr.fulfillmentRequestStatus.handle;
    if (!NEW_WORK_STATUSES.has(s) && s !== 'acknowledged') {
      throw badRequest(
        `Invalid status transition: fulfillment request ${id} is ${fr.fulfillmentRequestStatus.name}; only a fulfillment request in processing status Processing, Processed or Acknowledged can be adjusted`,
      );
    }
    const req = readAdjustBody(body);
    const cancelUnack = req.cancelUnacknowledgedItemQuantity ?? this.opts.sourceCancelsUnacknowledged;
    // Compute on copies; apply only if every line validates, so a 400 changes nothing.
    const plan = new Map(fr.fulfillmentRequestItems.map((it) => [it.id, { ...it }]));
    if (!req.items || req.items.length === 0) {
      for (const p of plan.values())
        p.acknowledgedQuantity = p.quantity - p.canceledQuantity - p.voidedQuantity;
    } else {
      req.items.forEach((adj, i) => {
        const target = resolveLine(fr, adj, i);
        const p = plan.get(target.id)!;
        let ack = adj.acknowledgedQuantity ?? p.acknowledgedQuantity;
        if (adj.secondaryAcknowledgedQuantity !== undefined) {
          p.secondaryAcknowledgedQuantity = adj.secondaryAcknowledgedQuantity;
          // Reference: a secondary ack above the ack raises the ack to match.
          ack = Math.max(ack, adj.secondaryAcknowledgedQuantity);
        }
        const cancel = adj.cancelledQuantity ?? p.canceledQuantity;
        if (cancel < target.canceledQuantity) {
          throw badRequest(
            `items[${i}]: cancelledQuantity ${cancel} is below the ${target.canceledQuantity} already cancelled`,
          );
        }
        if (ack < target.shippedQuantity) {
          throw badRequest(
            `items[${i}]: acknowledgedQuantity ${ack} is below the ${target.shippedQuantity} already shipped`,
          );
        }
        if (ack + cancel + p.voidedQuantity > p.quantity) {
          throw badRequest(
            `items[${i}]: acknowledgedQuantity ${ack} + cancelledQuantity ${cancel} exceeds the line quantity ${p.quantity} (sku ${p.sku})`,
          );
        }
        p.acknowledgedQuantity = ack;
        p.canceledQuantity = cancel;
      });
    }
    if (cancelUnack) {
      for (const p of plan.values())
        p.canceledQuantity = p.quantity - p.acknowledgedQuantity - p.voidedQuantity;
    }
    const now = this.clock.nowIso();
    for (const it of fr.fulfillmentRequestItems) Object.assign(it, plan.get(it.id)!);
    if (req.items?.some((a) => a.secondaryAcknowledgedQuantity !== undefined))
      fr.secondaryAcknowledgedAt = now;
    this.meta.get(id)!.adjustments.push({
      at: now,
      killOrFillType: req.killOrFillType ?? 'fill',
      cancelUnacknowledgedItemQuantity: req.cancelUnacknowledgedItemQuantity ?? null,
    });
    const allCancelled = fr.fulfillmentRequestItems.every(
      (it) => it.canceledQuantity + it.voidedQuantity >= it.quantity,
    );
    if (allCancelled) {
      setProcessingStatus(fr, 'canceled');
      fr.canceledAt = now;
      fr.cancelReason = `Cancelled by the source (${req.killOrFillType ?? 'fill'})`;
    } else if (fr.fulfillmentRequestItems.some((it) => it.acknowledgedQuantity > 0)) {
      this.markAcknowledged(fr, 'adjust');
    }
    this.touch(fr);
    return fr;
  }

  processingFailed(sourceId: number, id: number, reason: string): SimFr {
    const fr = this.visible(sourceId, id);
    if (!NEW_WORK_STATUSES.has(fr.fulfillmentRequestStatus.handle)) {
      throw badRequest(
        `Invalid status transition: fulfillment request ${id} is ${fr.fulfillmentRequestStatus.name}; only a fulfillment request in processing status Processing or Processed can be updated as Failed`,
      );
    }
    setProcessingStatus(fr, 'processing_error');
    fr.processingErrorReason = reason;
    this.touch(fr);
    return fr;
  }

  processed(sourceId: number, id: number): SimFr {
    const fr = this.visible(sourceId, id);
    const s = fr.fulfillmentRequestStatus.handle;
    if (s === 'processed') return fr;
    if (s !== 'processing') {
      throw badRequest(
        `Invalid status transition: fulfillment request ${id} is ${fr.fulfillmentRequestStatus.name}; only a fulfillment request in processing status Processing can be marked Processed`,
      );
    }
    setProcessingStatus(fr, 'processed');
    this.touch(fr);
    return fr;
  }

  createShipment(
    sourceId: number,
    body: unknown,
    allowDuplicatesByDefault: boolean,
    duplicateStatus: number,
  ): SimShipment {
    if (!isObject(body))
      throw badRequest('Body must be a JSON object with fulfillmentRequestId and shipment');
    if (body.sourceId !== undefined && body.sourceId !== null && body.sourceId !== sourceId) {
      throw badRequest(`sourceId ${String(body.sourceId)} does not match the source of this token`);
    }
    const fr = this.resolveShipmentFr(sourceId, body);
    const sh = body.shipment;
    if (!isObject(sh)) throw badRequest('shipment is required');
    if (typeof sh.trackingNumber !== 'string' || sh.trackingNumber.trim() === '') {
      throw badRequest('shipment.trackingNumber is required');
    }
    const trackingNumber = sh.trackingNumber.trim();
    const lines = sh.shipmentItems;
    if (!Array.isArray(lines) || lines.length === 0)
      throw badRequest('shipment.shipmentItems needs at least one item');
    const s = fr.fulfillmentRequestStatus.handle;
    if (s === 'canceled' || s === 'voided') {
      throw badRequest(
        `Invalid status transition: fulfillment request ${fr.id} is ${fr.fulfillmentRequestStatus.name} and cannot be shipped`,
      );
    }
    // Duplicate check before quantity checks: a retried create whose first attempt landed must come back as a
    // recognisable duplicate, not as "quantity exceeds" (its units are already shipped by then).
    const allowDup =
      typeof body.allowDuplicateTrackingNumbers === 'boolean'
        ? body.allowDuplicateTrackingNumbers
        : allowDuplicatesByDefault;
    const used = this.trackingByFr.get(fr.id);
    const prior = used?.get(trackingNumber);
    if (prior !== undefined && !allowDup) {
      throw new SimHttpError(
        duplicateStatus,
        `Duplicate tracking number ${trackingNumber}: shipment ${prior} on fulfillment request ${fr.id} already has it (pass allowDuplicateTrackingNumbers=true to allow)`,
      );
    }
    const wanted = new Map<number, number>();
    const resolved = lines.map((line: unknown, i) => {
      if (!isObject(line)) throw badRequest(`shipment.shipmentItems[${i}] must be an object`);
      const item = resolveShipmentLine(fr, line, i);
      const q = line.quantity;
      if (typeof q !== 'number' || !Number.isInteger(q) || q <= 0) {
        throw badRequest(`shipment.shipmentItems[${i}].quantity must be a positive integer`);
      }
      const total = (wanted.get(item.id) ?? 0) + q;
      const open = item.acknowledgedQuantity - item.shippedQuantity;
      if (total > open) {
        throw badRequest(
          `shipment.shipmentItems[${i}]: quantity ${total} of sku ${item.sku} exceeds the ${open} acknowledged and not yet shipped`,
        );
      }
      wanted.set(item.id, total);
      return { item, quantity: q };
    });
    const t = this.clock.nowMs();
    const iso = new Date(t).toISOString();
    const shipmentId = this.nextShipmentId++;
    for (const { item, quantity } of resolved) item.shippedQuantity += quantity;
    deriveQuantities(fr);
    const shipment: SimShipment = {
      id: shipmentId,
      fulfillmentRequestId: fr.id,
      purchaseOrderId: fr.id,
      orderId: fr.orderId,
      sourceId: fr.sourceId,
      trackingNumber,
      trackingUrl: optString(sh.trackingUrl),
      carrier: optString(sh.carrier),
      method: optString(sh.method),
      shippedAt: optString(sh.shippedAt) ?? iso,
      shippingCost: typeof sh.shippingCost === 'number' ? sh.shippingCost : null,
      note: optString(sh.note),
      insertedAt: iso,
      updatedAt: iso,
      partial: fr.fulfillmentRequestFulfillmentStatus.handle === 'partially_shipped',
      shipmentItems: resolved.map(({ item, quantity }) => ({
        id: this.nextShipmentItemId++,
        shipmentId,
        sku: item.sku,
        quantity,
        orderItemId: item.orderItemId,
        purchaseOrderItemId: item.id,
        fulfillmentRequestItemId: item.id,
      })),
    };
    this.shipments.set(shipmentId, shipment);
    fr.shipments.push(shipment);
    let map = used;
    if (!map) this.trackingByFr.set(fr.id, (map = new Map()));
    if (!map.has(trackingNumber)) map.set(trackingNumber, shipmentId);
    this.shipmentLog.push({ t, orderId: fr.orderId });
    this.touch(fr);
    return shipment;
  }

  // ---------- what Flxpoint itself (or another user) does ----------

  cancel(id: number, reason = 'Cancelled in Flxpoint'): SimFr {
    const fr = this.mustExist(id);
    this.refuseTerminal(fr, 'cancel');
    for (const it of fr.fulfillmentRequestItems) {
      it.canceledQuantity = it.quantity - it.shippedQuantity - it.voidedQuantity;
      it.acknowledgedQuantity = Math.min(it.acknowledgedQuantity, it.shippedQuantity);
    }
    setProcessingStatus(fr, 'canceled');
    fr.canceledAt = this.clock.nowIso();
    fr.cancelReason = reason;
    this.touchOrder(fr);
    this.touch(fr);
    return fr;
  }

  void(id: number, reason = 'Voided in Flxpoint'): SimFr {
    const fr = this.mustExist(id);
    this.refuseTerminal(fr, 'void');
    for (const it of fr.fulfillmentRequestItems) {
      it.voidedQuantity = it.quantity - it.shippedQuantity - it.canceledQuantity;
    }
    setProcessingStatus(fr, 'voided');
    fr.voidedAt = this.clock.nowIso();
    fr.voidedReason = reason;
    this.touchOrder(fr);
    this.touch(fr);
    return fr;
  }

  /** Someone else (a user in the Flxpoint UI, another integration) acknowledges the FR. */
  acknowledgeAsSomeoneElse(id: number): SimFr {
    const fr = this.mustExist(id);
    return this.acknowledge(fr.sourceId, id, 'someone_else');
  }

  // ---------- internals ----------

  private mustExist(id: number): SimFr {
    const fr = this.frs.get(id);
    if (!fr) throw notFound(`Fulfillment request ${id} not found`);
    return fr;
  }

  private refuseTerminal(fr: SimFr, what: string): void {
    const s = fr.fulfillmentRequestStatus.handle;
    if (s === 'canceled' || s === 'voided') {
      throw badRequest(
        `Invalid status transition: fulfillment request ${fr.id} is already ${fr.fulfillmentRequestStatus.name}; cannot ${what}`,
      );
    }
  }

  private markAcknowledged(fr: SimFr, by: SimFrMeta['acknowledgedBy']): void {
    if (fr.fulfillmentRequestStatus.handle !== 'acknowledged') {
      setProcessingStatus(fr, 'acknowledged');
      fr.acknowledgedAt = this.clock.nowIso();
      this.meta.get(fr.id)!.acknowledgedBy = by;
    }
  }

  private resolveShipmentFr(sourceId: number, body: Record<string, unknown>): SimFr {
    if (typeof body.fulfillmentRequestId === 'number')
      return this.visible(sourceId, body.fulfillmentRequestId);
    if (typeof body.purchaseOrderNumber === 'string') {
      for (const id of this.bySource.get(sourceId) ?? []) {
        const fr = this.frs.get(id)!;
        if (fr.fulfillmentRequestNumber === body.purchaseOrderNumber) return fr;
      }
      throw notFound(`Fulfillment request ${body.purchaseOrderNumber} not found`);
    }
    throw badRequest('fulfillmentRequestId (or purchaseOrderNumber) is required');
  }

  /** Bumps lastModifiedAt, logs the change for `GET /orders`, and re-derives quantities and the NEW index. */
  private touch(fr: SimFr): void {
    const t = this.clock.nowMs();
    fr.lastModifiedAt = new Date(t).toISOString();
    deriveQuantities(fr);
    this.syncNewWork(fr);
    this.frLog.push({ t, orderId: fr.orderId });
  }

  private touchOrder(fr: SimFr): void {
    const order = this.orders.get(fr.orderId)!;
    const t = this.clock.nowMs();
    order.updatedAt = new Date(t).toISOString();
    this.orderLog.push({ t, orderId: order.id });
  }

  private syncNewWork(fr: SimFr): void {
    let index = this.newWork.get(fr.sourceId);
    if (!index) this.newWork.set(fr.sourceId, (index = new SortedIds()));
    if (NEW_WORK_STATUSES.has(fr.fulfillmentRequestStatus.handle)) index.add(fr.id);
    else index.remove(fr.id);
  }
}

// ---------- body readers ----------

interface AdjustLine {
  id?: number;
  sku?: string;
  acknowledgedQuantity?: number;
  cancelledQuantity?: number;
  secondaryAcknowledgedQuantity?: number;
}

function readAdjustBody(body: unknown): {
  items: AdjustLine[] | null;
  killOrFillType?: 'fill' | 'kill';
  cancelUnacknowledgedItemQuantity?: boolean | null;
} {
  if (body === null || body === undefined) return { items: null };
  if (!isObject(body)) throw badRequest('Body must be a JSON object');
  const k = body.killOrFillType;
  if (k !== undefined && k !== null && k !== 'fill' && k !== 'kill') {
    throw badRequest(`killOrFillType must be fill or kill, got ${JSON.stringify(k)}`);
  }
  const c = body.cancelUnacknowledgedItemQuantity;
  if (c !== undefined && c !== null && typeof c !== 'boolean') {
    throw badRequest('cancelUnacknowledgedItemQuantity must be a boolean or null');
  }
  const rawItems = body.items;
  if (rawItems !== undefined && rawItems !== null && !Array.isArray(rawItems)) {
    throw badRequest('items must be an array or null');
  }
  const items = (rawItems ?? null) as unknown[] | null;
  return {
    items:
      items?.map((raw, i) => {
        if (!isObject(raw)) throw badRequest(`items[${i}] must be an object`);
        const line: AdjustLine = {};
        if (raw.id !== undefined && raw.id !== null) {
          if (typeof raw.id !== 'number' || !Number.isInteger(raw.id))
            throw badRequest(`items[${i}].id must be an integer`);
          line.id = raw.id;
        }
        if (raw.sku !== undefined && raw.sku !== null) {
          if (typeof raw.sku !== 'string') throw badRequest(`items[${i}].sku must be a string`);
          line.sku = raw.sku;
        }
        for (const f of [
          'acknowledgedQuantity',
          'cancelledQuantity',
          'secondaryAcknowledgedQuantity',
        ] as const) {
          const v = raw[f];
          if (v === undefined || v === null) continue;
          if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
            throw badRequest(`items[${i}].${f} must be a non-negative integer, got ${JSON.stringify(v)}`);
          }
          line[f] = v;
        }
        return line;
      }) ?? null,
    ...(k === 'fill' || k === 'kill' ? { killOrFillType: k } : {}),
    ...(c !== undefined ? { cancelUnacknowledgedItemQuantity: c } : {}),
  };
}

/** `id` wins over `sku`; a SKU on several lines needs the id (reference). */
function resolveLine(fr: SimFr, adj: AdjustLine, i: number): SimItem {
  if (adj.id !== undefined) {
    const item = fr.fulfillmentRequestItems.find((it) => it.id === adj.id);
    if (!item) throw badRequest(`items[${i}].id ${adj.id} is not an item of fulfillment request ${fr.id}`);
    return item;
  }
  if (adj.sku !== undefined) {
    const matches = fr.fulfillmentRequestItems.filter((it) => it.sku === adj.sku);
    if (matches.length === 0)
      throw badRequest(`items[${i}].sku ${adj.sku} is not on fulfillment request ${fr.id}`);
    if (matches.length > 1)
      throw badRequest(`items[${i}].sku ${adj.sku} is on several lines; pass the item id`);
    return matches[0]!;
  }
  throw badRequest(`items[${i}]: id or sku is required`);
}

function resolveShipmentLine(fr: SimFr, line: Record<string, unknown>, i: number): SimItem {
  const byId =
    (typeof line.fulfillmentRequestItemId === 'number' ? line.fulfillmentRequestItemId : undefined) ??
    (typeof line.purchaseOrderItemId === 'number' ? line.purchaseOrderItemId : undefined);
  let item: SimItem | undefined;
  if (byId !== undefined) item = fr.fulfillmentRequestItems.find((it) => it.id === byId);
  else if (typeof line.orderItemId === 'number')
    item = fr.fulfillmentRequestItems.find((it) => it.orderItemId === line.orderItemId);
  else if (typeof line.sku === 'string') item = fr.fulfillmentRequestItems.find((it) => it.sku === line.sku);
  else throw badRequest(`shipment.shipmentItems[${i}] needs fulfillmentRequestItemId, orderItemId or sku`);
  if (!item) throw badRequest(`shipment.shipmentItems[${i}] does not belong to fulfillment request ${fr.id}`);
  return item;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function optString(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

function isSubset<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean {
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/** Index of the first entry with t > after (logs are sorted by t). */
function firstAfter(log: ChangeEntry[], after: number): number {
  let lo = 0;
  let hi = log.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (log[mid]!.t > after) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
