import { type IncomingMessage } from 'node:http';
import { type Endpoint } from './endpoints';
import { intParam, readJson } from './http-util';
import { modifySwitches } from './inventory-store';
import { type SimFr, type SimShipment, parseStatusFilter, PROCESSING_STATUS_NAMES } from './model';
import { SimHttpError, badRequest } from './sim-error';
import { type SimulatorState } from './state';

// The simulated Flxpoint surface: URL matching and request reading for each endpoint, then one call into the
// store. Auth, rate limiting and faults happen around this in server.ts, identically for every endpoint.

export interface ApiResult {
  status: number;
  json?: unknown;
}

export interface RouteMatch {
  endpoint: Endpoint;
  /** Methods this path answers; another one gets 405. */
  methods: readonly string[];
  id?: number;
}

const FR_ACTION = /^\/fulfillment-requests\/([^/]+)\/(acknowledge|adjust|processing-failed|processed)$/;
const FR_ONE = /^\/fulfillment-requests\/([^/]+)$/;
const SHIPMENT_ONE = /^\/shipments\/([^/]+)$/;

/** Undefined for a path Flxpoint does not have (404). */
export function matchRoute(path: string, ackMethods: readonly string[]): RouteMatch | undefined {
  if (path === '/fulfillment-requests') return { endpoint: 'fr.list', methods: ['GET'] };
  if (path === '/fulfillment-requests/count') return { endpoint: 'fr.count', methods: ['GET'] };
  if (path === '/shipments') return { endpoint: 'shipment.list', methods: ['GET', 'POST'] };
  if (path === '/orders') return { endpoint: 'orders.list', methods: ['GET'] };
  if (path === '/inventory/variants') return { endpoint: 'inventory.variants.list', methods: ['GET', 'PUT'] };
  if (path === '/inventory/parents') return { endpoint: 'inventory.parents.upsert', methods: ['POST'] };
  let m = FR_ACTION.exec(path);
  if (m) {
    const id = pathId(m[1]!);
    switch (m[2]) {
      case 'acknowledge':
        return { endpoint: 'fr.acknowledge', methods: ackMethods, id };
      case 'adjust':
        return { endpoint: 'fr.adjust', methods: ['POST'], id };
      case 'processing-failed':
        return { endpoint: 'fr.processingFailed', methods: ['PATCH'], id };
      default:
        return { endpoint: 'fr.processed', methods: ['PATCH'], id };
    }
  }
  m = FR_ONE.exec(path);
  if (m) return { endpoint: 'fr.get', methods: ['GET'], id: pathId(m[1]!) };
  m = SHIPMENT_ONE.exec(path);
  if (m) return { endpoint: 'shipment.get', methods: ['GET'], id: pathId(m[1]!) };
  return undefined;
}

function pathId(raw: string): number {
  if (!/^\d{1,15}$/.test(raw)) throw badRequest(`Path id must be an integer, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** `POST /shipments` and `GET /shipments` share a path (so do GET/PUT variants); the method picks the endpoint. */
export function endpointFor(route: RouteMatch, method: string): Endpoint {
  if (route.endpoint === 'shipment.list' && method === 'POST') return 'shipment.create';
  if (route.endpoint === 'inventory.variants.list' && method === 'PUT') return 'inventory.variants.update';
  return route.endpoint;
}

export async function handleApi(
  state: SimulatorState,
  endpoint: Endpoint,
  route: RouteMatch,
  sourceId: number,
  req: IncomingMessage,
  url: URL,
): Promise<ApiResult> {
  const store = state.store;
  const q = url.searchParams;
  const id = route.id ?? 0;
  switch (endpoint) {
    case 'fr.list': {
      const p = listParams(q, state.behavior.listDialects);
      const statuses = statusFilter(p.status);
      const page = intParam(p.page, 'page', 1, 1, 1_000_000);
      const size = intParam(p.size, 'size', 100, 1, 500);
      const frs = store.list(sourceId, statuses, page, size);
      return { status: 200, json: envelope(state.behavior.listEnvelope, frs) };
    }
    case 'fr.count':
      return {
        status: 200,
        json: {
          count: store.count(sourceId, statusFilter(listParams(q, state.behavior.listDialects).status)),
        },
      };
    case 'fr.get':
      return { status: 200, json: store.visible(sourceId, id) };
    case 'fr.acknowledge': {
      state.counters.inc('ackAttemptsByFr', id);
      const fr = store.acknowledge(sourceId, id);
      state.counters.inc('ackSuccessByFr', id);
      return { status: 200, json: fr };
    }
    case 'fr.adjust': {
      const body = await readJson(req);
      state.counters.inc('adjustsByFr', id);
      return { status: 200, json: store.adjust(sourceId, id, body) };
    }
    case 'fr.processingFailed': {
      const reason = q.get('error');
      if (reason === null || reason.trim() === '')
        throw badRequest('Query parameter error (the failure reason) is required');
      state.counters.inc('processingFailedByFr', id);
      store.processingFailed(sourceId, id, reason);
      return { status: 204 };
    }
    case 'fr.processed':
      state.counters.inc('processedByFr', id);
      return { status: 200, json: store.processed(sourceId, id) };
    case 'shipment.create': {
      const body = await readJson(req);
      const frId =
        typeof (body as { fulfillmentRequestId?: unknown } | null)?.fulfillmentRequestId === 'number'
          ? (body as { fulfillmentRequestId: number }).fulfillmentRequestId
          : undefined;
      if (frId !== undefined) state.counters.inc('shipmentAttemptsByFr', frId);
      const b = state.behavior;
      const shipment = store.createShipment(
        sourceId,
        body,
        b.allowDuplicateTrackingNumbers,
        b.duplicateTrackingStatus,
      );
      state.counters.inc('shipmentsByFr', shipment.fulfillmentRequestId);
      state.counters.inc('shipmentsByTrackingNumber', shipment.trackingNumber);
      return { status: 200, json: shipment };
    }
    case 'shipment.list': {
      const frParam = q.get('findByPurchaseOrderId') ?? q.get('fulfillmentRequestId');
      const shipments: SimShipment[] = store.listShipments(sourceId, {
        ...(frParam !== null
          ? { frId: intParam(frParam, 'findByPurchaseOrderId', 0, 1, Number.MAX_SAFE_INTEGER) }
          : {}),
        page: intParam(q.get('filterPageNumber') ?? q.get('page'), 'filterPageNumber', 1, 1, 1_000_000),
        size: intParam(q.get('filterPageSize') ?? q.get('size'), 'filterPageSize', 100, 1, 500),
      });
      return { status: 200, json: shipments };
    }
    case 'shipment.get':
      return { status: 200, json: store.getShipment(sourceId, id) };
    case 'inventory.variants.list': {
      const pageSize = intParam(q.get('pageSize'), 'pageSize', 100, 1, 500);
      const form = state.behavior.arrayQueryForm;
      const list = (name: string) => {
        const values = form === 'comma' ? q.getAll(name).slice(0, 1) : q.getAll(name);
        const all = values
          .flatMap((v) => (form === 'repeat' ? [v] : v.split(',')))
          .map((v) => v.trim())
          .filter(Boolean);
        return all.length > 0 ? all : undefined;
      };
      const ids = list('ids')?.map((v) => intParam(v, 'ids', 0, 1, Number.MAX_SAFE_INTEGER));
      const skus = list('skus');
      const after = q.get('updatedAfter');
      const updatedAfter = after ? Date.parse(after) : undefined;
      if (updatedAfter !== undefined && Number.isNaN(updatedAfter))
        throw badRequest(`updatedAfter must be an ISO-8601 timestamp, got ${JSON.stringify(after)}`);
      return {
        status: 200,
        json: state.inventory.list(sourceId, {
          page: intParam(q.get('page'), 'page', 1, 1, 1_000_000),
          pageSize,
          ...(ids ? { ids } : skus ? { skus } : {}),
          ...(updatedAfter !== undefined ? { updatedAfter } : {}),
        }),
      };
    }
    case 'inventory.variants.update': {
      const modify = modifySwitches(q, state.behavior.inventoryModifyDefault);
      const results = state.inventory.update(sourceId, await readJson(req), modify, () =>
        state.faults.itemFails(endpoint),
      );
      countInventory(state, results);
      return state.behavior.inventoryPutResponse === 'empty'
        ? { status: 204 }
        : { status: 200, json: results };
    }
    case 'inventory.parents.upsert': {
      const results = state.inventory.upsertParents(sourceId, await readJson(req), () =>
        state.faults.itemFails(endpoint),
      ) as { variants: { sku: string; success: boolean; result: string }[] }[];
      countInventory(
        state,
        results.flatMap((p) => p.variants),
      );
      return { status: 200, json: results };
    }
    case 'orders.list': {
      const changed = store.ordersChangedSince(sourceId, {
        ...cursor(q, 'orderUpdatedAt', 'order'),
        ...cursor(q, 'fulfillmentRequestsUpdatedAt', 'fr'),
        ...cursor(q, 'shipmentsUpdatedAt', 'shipment'),
      });
      return {
        status: 200,
        json: changed.map(({ order, frs }) => ({
          id: order.id,
          orderNumber: order.orderNumber,
          channelId: order.channelId,
          insertedAt: order.insertedAt,
          updatedAt: order.updatedAt,
          fulfillmentRequests: frs,
          shipments: frs.flatMap((fr) => fr.shipments),
        })),
      };
    }
  }
}

/**
 * The list parameters in the dialects this simulator honours; a parameter of another dialect is ignored
 * (null), as the real API is reported to ignore unknown parameters rather than reject them.
 */
function listParams(q: URLSearchParams, dialects: readonly string[]) {
  const guide = dialects.includes('guide');
  const reference = dialects.includes('reference');
  const pick = (g: string, r: string) => (guide ? q.get(g) : null) ?? (reference ? q.get(r) : null);
  return {
    status: pick('status', 'filterStatus'),
    page: pick('page', 'filterPageNumber'),
    size: pick('size', 'filterPageSize'),
  };
}

function countInventory(
  state: SimulatorState,
  items: { sku: string | null; success: boolean; result: string }[],
): void {
  state.counters.inventoryItems(items.length, items.filter((i) => !i.success).length);
  for (const i of items)
    if (i.success && i.result !== 'unchanged' && i.sku) state.counters.inc('variantUpdatesBySku', i.sku);
}

/** No status filter returns everything visible to the token, as the guide warns. */
function statusFilter(raw: string | null) {
  if (raw === null || raw.trim() === '')
    return new Set(Object.keys(PROCESSING_STATUS_NAMES) as (keyof typeof PROCESSING_STATUS_NAMES)[]);
  const s = parseStatusFilter(raw);
  if (!s) {
    throw new SimHttpError(
      400,
      `Unknown status ${JSON.stringify(raw)}; use NEW or comma-separated names such as ${Object.values(PROCESSING_STATUS_NAMES).slice(0, 4).join(', ')}`,
    );
  }
  return s;
}

function envelope(kind: 'items' | 'data' | 'array', frs: SimFr[]): unknown {
  if (kind === 'array') return frs;
  return kind === 'data' ? { data: frs } : { items: frs };
}

function cursor<K extends string>(q: URLSearchParams, name: string, key: K): Partial<Record<K, number>> {
  const raw = q.get(name);
  if (raw === null || raw === '') return {};
  const t = Date.parse(raw);
  if (Number.isNaN(t)) throw badRequest(`${name} must be an ISO-8601 timestamp, got ${JSON.stringify(raw)}`);
  return { [key]: t } as Partial<Record<K, number>>;
}
