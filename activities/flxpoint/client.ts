import { type Dispatcher } from 'undici';
import { inspect } from 'node:util';
import { type z } from 'zod';
import {
  type AcknowledgeMethod,
  type ListDialect,
  DEFAULT_ACKNOWLEDGE_METHOD,
  DEFAULT_LIST_DIALECT,
  listQuery,
  otherAcknowledgeMethod,
  unwrapListEnvelope,
} from './dialect';
import { FlxpointError, classifyResponse } from './errors';
import {
  type AdjustRequest,
  type CreateShipmentRequest,
  type FulfillmentRequest,
  type Shipment,
  FulfillmentRequestSchema,
  ShipmentSchema,
  formatZodError,
} from './schemas';
import {
  type InventoryItemResult,
  type InventoryParentResult,
  type InventoryVariant,
  InventoryItemResultSchema,
  InventoryParentResultSchema,
  InventoryVariantSchema,
} from './inventory-schemas';
import {
  type IncomingResponse,
  type OutgoingRequest,
  type TransportConfig,
  DEFAULT_REQUEST_TIMEOUT_MS,
  createDefaultAgent,
  exchange,
  headerValue,
} from './transport';

/** How a list-valued query parameter is written (undocumented): `skus=a,b` or `skus=a&skus=b`. */
export type ArrayQueryStyle = 'comma' | 'repeat';

// Typed Flxpoint client. Each method is exactly one HTTP request and never retries: an activity wraps one
// method, so Temporal's retry policy and the task queue's rate limit both count real API calls.

export interface FlxpointClientOptions {
  /** e.g. https://api.flxpoint.com or http://127.0.0.1:port */
  baseUrl: string;
  /** Secret: never in logs, errors, toString/JSON of the client. */
  token: string;
  /** Injected dispatcher; default: an undici Agent with keep-alive and connect/headers/body timeouts. */
  dispatcher?: Dispatcher;
  /** Default 'reference': filterStatus/filterPageNumber/filterPageSize; 'guide': ?status=&page=&size=. */
  listDialect?: ListDialect;
  /** Default 'PATCH' (the reference pages); 404/405 on it makes `acknowledge` try the other method once. */
  acknowledgeMethod?: AcknowledgeMethod;
  /**
   * Awaited before the second request of an acknowledge that falls back to the other method: it is one
   * more request against the token's budget, so the caller's pacer must see it.
   */
  beforeExtraRequest?: () => Promise<void>;
  /** Told when the configured acknowledge method was refused and the other one worked (or did not). */
  onAcknowledgeMethodFinding?: (finding: AcknowledgeMethodFinding) => void;
  /** Headers and body timeout each, default 30000. */
  requestTimeoutMs?: number;
}

export interface AcknowledgeMethodFinding {
  configured: AcknowledgeMethod;
  /** The answer to the configured method (404 or 405). */
  status: number;
  tried: AcknowledgeMethod;
  /** Whether the other method was accepted (2xx). */
  worked: boolean;
}

export interface ListResult<T> {
  items: T[];
  /** Elements that failed their schema; the valid ones of the same page are still in `items`. */
  malformed: { id?: number; index: number; problem: string }[];
  /** items.length + malformed.length: compare with the page size to detect the last page. */
  rawCount: number;
}

export class FlxpointClient {
  // ES private fields: invisible to JSON.stringify, Object.keys and util.inspect, so the token cannot leak
  // through a logged client.
  readonly #transport: TransportConfig;
  readonly #ownedAgent: { close(): Promise<void> } | undefined;
  readonly baseUrl: string;
  readonly listDialect: ListDialect;
  readonly acknowledgeMethod: AcknowledgeMethod;
  readonly #beforeExtraRequest: (() => Promise<void>) | undefined;
  readonly #onAckFinding: ((finding: AcknowledgeMethodFinding) => void) | undefined;
  /** The method this server accepted after a fallback: tried first from then on (one request, not two). */
  #ackMethodInUse: AcknowledgeMethod;

  constructor(opts: FlxpointClientOptions) {
    if (!opts.baseUrl) throw new TypeError('FlxpointClient: baseUrl is required');
    if (!opts.token) throw new TypeError('FlxpointClient: token is required');
    const timeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    if (!(timeoutMs > 0)) throw new TypeError('FlxpointClient: requestTimeoutMs must be > 0');
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.listDialect = opts.listDialect ?? DEFAULT_LIST_DIALECT;
    this.acknowledgeMethod = opts.acknowledgeMethod ?? DEFAULT_ACKNOWLEDGE_METHOD;
    this.#ackMethodInUse = this.acknowledgeMethod;
    this.#beforeExtraRequest = opts.beforeExtraRequest;
    this.#onAckFinding = opts.onAcknowledgeMethodFinding;
    let dispatcher = opts.dispatcher;
    if (!dispatcher) {
      const agent = createDefaultAgent(timeoutMs);
      this.#ownedAgent = agent;
      dispatcher = agent;
    }
    this.#transport = {
      baseUrl: this.baseUrl,
      dispatcher,
      headers: Object.freeze({ 'x-api-token': opts.token }),
      timeoutMs,
    };
  }

  /** Closes the agent this client created; an injected dispatcher belongs to the caller and stays open. */
  async close(): Promise<void> {
    await this.#ownedAgent?.close();
  }

  // ---- Fulfillment requests ----

  async listFulfillmentRequests(q: {
    status: string;
    page: number;
    size: number;
  }): Promise<ListResult<FulfillmentRequest>> {
    const req: OutgoingRequest = {
      method: 'GET',
      path: '/fulfillment-requests',
      query: listQuery(this.listDialect, q),
    };
    return this.parseList(FulfillmentRequestSchema, req, await this.send(req));
  }

  async getFulfillmentRequest(id: number): Promise<FulfillmentRequest> {
    const req: OutgoingRequest = { method: 'GET', path: `/fulfillment-requests/${frId(id)}` };
    return this.parseOne(FulfillmentRequestSchema, req, await this.send(req));
  }

  /**
   * Any 2xx is success; the body (FR or empty) is not needed and not parsed. The docs disagree on the
   * method (guide POST, reference PATCH): a 404/405 to the configured one means "no such route" rather than
   * "no such FR" often enough that the other method is tried once (a second request, paced by
   * `beforeExtraRequest`); the finding is reported so the operator can set FLXPOINT_ACK_METHOD. Returns the
   * method that was accepted.
   */
  async acknowledge(id: number): Promise<AcknowledgeMethod> {
    const path = `/fulfillment-requests/${frId(id)}/acknowledge`;
    const configured = this.#ackMethodInUse;
    try {
      await this.send({ method: configured, path });
      return configured;
    } catch (err) {
      if (!(err instanceof FlxpointError) || (err.status !== 404 && err.status !== 405)) throw err;
      const tried = otherAcknowledgeMethod(configured);
      await this.#beforeExtraRequest?.();
      try {
        await this.send({ method: tried, path });
      } catch (second) {
        this.#onAckFinding?.({ configured, status: err.status, tried, worked: false });
        // A 404/405 to both methods: the first answer is the one that describes the configured call.
        if (second instanceof FlxpointError && (second.status === 404 || second.status === 405)) throw err;
        throw second;
      }
      this.#ackMethodInUse = tried;
      this.#onAckFinding?.({ configured, status: err.status, tried, worked: true });
      return tried;
    }
  }

  async adjust(id: number, body: AdjustRequest): Promise<FulfillmentRequest> {
    const req: OutgoingRequest = {
      method: 'POST',
      path: `/fulfillment-requests/${frId(id)}/adjust`,
      json: body,
    };
    return this.parseOne(FulfillmentRequestSchema, req, await this.send(req));
  }

  /** Only from Processing/Processed; moves the FR to Processing Error. The reason travels as `?error=`. */
  async markProcessingFailed(id: number, reason: string): Promise<void> {
    await this.send({
      method: 'PATCH',
      path: `/fulfillment-requests/${frId(id)}/processing-failed`,
      query: { error: reason },
    });
  }

  // ---- Shipments ----

  async createShipment(body: CreateShipmentRequest): Promise<Shipment> {
    const req: OutgoingRequest = { method: 'POST', path: '/shipments', json: toWireShipment(body) };
    const res = await this.send(req);
    // Undocumented response shape: accept the shipment itself or `{ shipment: {...} }`.
    const json = this.json(req, res);
    const inner =
      json !== null && typeof json === 'object' && !('id' in json) && 'shipment' in json
        ? (json as { shipment: unknown }).shipment
        : json;
    return this.validate(ShipmentSchema, req, res, inner);
  }

  // ---- Inventory (api-reference-digest.md §6) ----

  /**
   * One page of the source's variants (1-based), optionally only these SKUs (at most `pageSize`). How an
   * `array[string]` query parameter is written is not documented: `comma` sends `skus=a,b` (the form the
   * FR list's filters use), `repeat` sends `skus=a&skus=b` (OpenAPI's default form). A server that reads
   * the other form finds no such SKU, so the inventory lookup tells them apart by what comes back
   * (activities/inventory/sku-query-style.ts). A variant that fails its schema is reported in `malformed`.
   */
  async listInventoryVariants(q: {
    page: number;
    pageSize: number;
    skus?: readonly string[];
    arrayStyle?: ArrayQueryStyle;
  }): Promise<ListResult<InventoryVariant>> {
    if (q.skus && q.skus.length > q.pageSize)
      throw new RangeError(`listInventoryVariants: ${q.skus.length} skus exceed pageSize ${q.pageSize}`);
    const req: OutgoingRequest = {
      method: 'GET',
      path: '/inventory/variants',
      query: {
        page: String(q.page),
        pageSize: String(q.pageSize),
        ...(q.skus && q.skus.length > 0
          ? { skus: q.arrayStyle === 'repeat' ? [...q.skus] : q.skus.join(',') }
          : {}),
        includeImages: 'false',
        includeOptions: 'false',
        includeCustomAggregates: 'false',
        includeLinkedProductVariants: 'false',
      },
    };
    return this.parseList(InventoryVariantSchema, req, await this.send(req));
  }

  /**
   * `PUT /inventory/variants` with up to 50 variants and explicit modify switches. The answer is either
   * per-item results (a 2xx can carry failures of single items) or empty, which means every item was taken:
   * `results` is null then.
   */
  async updateInventoryVariants(
    query: Record<string, string>,
    body: readonly Record<string, unknown>[],
  ): Promise<{ results: InventoryItemResult[] | null }> {
    const req: OutgoingRequest = { method: 'PUT', path: '/inventory/variants', query, json: body };
    const res = await this.send(req);
    if (res.text.trim() === '') return { results: null };
    const elements = unwrapListEnvelope(this.json(req, res));
    if (!elements) {
      throw this.malformed(req, res, 'expected per-item results: a JSON array, or an empty answer');
    }
    return { results: elements.map((el) => this.validate(InventoryItemResultSchema, req, res, el)) };
  }

  /** `POST /inventory/parents`: create or update up to 20 parents with their variants; one result each. */
  async upsertInventoryParents(body: readonly Record<string, unknown>[]): Promise<InventoryParentResult[]> {
    const req: OutgoingRequest = { method: 'POST', path: '/inventory/parents', json: body };
    const res = await this.send(req);
    const elements = unwrapListEnvelope(this.json(req, res));
    if (!elements) throw this.malformed(req, res, 'expected one result per parent: a JSON array');
    return elements.map((el) => this.validate(InventoryParentResultSchema, req, res, el));
  }

  // ---- Plumbing ----

  /** Protected: the shadow client (activities/shadow-client.ts) records writes here instead of sending them. */
  protected async send(req: OutgoingRequest): Promise<IncomingResponse> {
    const res = await exchange(this.#transport, req);
    if (res.status < 200 || res.status > 299) {
      throw classifyResponse({
        status: res.status,
        body: res.text,
        retryAfter: headerValue(res.headers, 'retry-after'),
        method: req.method,
        path: req.path,
      });
    }
    return res;
  }

  private json(req: OutgoingRequest, res: IncomingResponse): unknown {
    try {
      return JSON.parse(res.text) as unknown;
    } catch {
      throw this.malformed(req, res, `body is not JSON (${res.text.length} bytes, likely truncated)`);
    }
  }

  private validate<S extends z.ZodType>(
    schema: S,
    req: OutgoingRequest,
    res: IncomingResponse,
    value: unknown,
  ) {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw this.malformed(req, res, formatZodError(parsed.error));
    return parsed.data as z.output<S>;
  }

  private parseOne<S extends z.ZodType>(schema: S, req: OutgoingRequest, res: IncomingResponse): z.output<S> {
    return this.validate(schema, req, res, this.json(req, res));
  }

  /** Parses each element on its own: one broken FR must not hide the valid ones on the same page. */
  private parseList<S extends z.ZodType>(
    schema: S,
    req: OutgoingRequest,
    res: IncomingResponse,
  ): ListResult<z.output<S>> {
    const elements = unwrapListEnvelope(this.json(req, res));
    if (!elements) {
      throw this.malformed(
        req,
        res,
        'expected a list: a JSON array, or an object with an `items` or `data` array',
      );
    }
    const items: z.output<S>[] = [];
    const malformed: ListResult<unknown>['malformed'] = [];
    elements.forEach((el, index) => {
      const parsed = schema.safeParse(el);
      if (parsed.success) {
        items.push(parsed.data);
        return;
      }
      const id = el !== null && typeof el === 'object' ? (el as { id?: unknown }).id : undefined;
      malformed.push({
        ...(typeof id === 'number' ? { id } : {}),
        index,
        problem: formatZodError(parsed.error),
      });
    });
    return { items, malformed, rawCount: elements.length };
  }

  private malformed(req: OutgoingRequest, res: IncomingResponse, detail: string): FlxpointError {
    return new FlxpointError({
      kind: 'malformed_response',
      status: res.status,
      method: req.method,
      path: req.path,
      detail,
    });
  }

  toString(): string {
    return `FlxpointClient(${this.baseUrl}, ${this.listDialect}, ack ${this.acknowledgeMethod})`;
  }

  toJSON(): Record<string, unknown> {
    return {
      baseUrl: this.baseUrl,
      listDialect: this.listDialect,
      acknowledgeMethod: this.acknowledgeMethod,
    };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

function frId(id: number): string {
  if (!Number.isSafeInteger(id) || id <= 0)
    throw new TypeError(`Flxpoint FR id must be a positive integer, got ${id}`);
  return String(id);
}

/**
 * Public pages name a shipment line's FR item `purchaseOrderItemId` while the reference calls it
 * `fulfillmentRequestItemId` ("basically the same thing"): send both so either reading of the API matches.
 */
function toWireShipment(body: CreateShipmentRequest): unknown {
  return {
    ...body,
    shipment: {
      ...body.shipment,
      shipmentItems: body.shipment.shipmentItems.map((item) =>
        item.fulfillmentRequestItemId === undefined
          ? item
          : { ...item, purchaseOrderItemId: item.fulfillmentRequestItemId },
      ),
    },
  };
}
