import { MonotonicClock } from './clock';
import { badRequest } from './sim-error';

// The Source side of Flxpoint's catalog: inventory parents and their variants per source, and the three
// endpoints a Source uses to keep stock right (api-reference-digest.md §6). What the docs do not show
// (defaults of the modify switches, the PUT response) is a switch in SimulatorBehavior.

/** Fields a Source pushes on `PUT /inventory/variants`, each with its own `modifyX` query switch. */
export const INVENTORY_FIELDS = {
  quantity: 'modifyQuantity',
  cost: 'modifyCost',
  msrp: 'modifyMsrp',
  map: 'modifyMap',
  inventoryListPrice: 'modifyInventoryListPrice',
  allowBackorders: 'modifyAllowBackorders',
} as const;
export type InventoryField = keyof typeof INVENTORY_FIELDS;
export type ModifyMode = 'none' | 'update' | 'updateNonNull';
const MODIFY_MODES: readonly ModifyMode[] = ['none', 'update', 'updateNonNull'];

export const MAX_VARIANTS_PER_PUT = 50;
export const MAX_PARENTS_PER_POST = 20;

export interface SimVariant {
  id: number;
  sku: string;
  sourceId: number;
  inventoryParentId: number;
  title: string | null;
  quantity: number | null;
  cost: number | null;
  msrp: number | null;
  map: number | null;
  inventoryListPrice: number | null;
  allowBackorders: boolean | null;
  archived: boolean;
  insertedAt: string;
  updatedAt: string;
}

export interface SimParent {
  id: number;
  sku: string;
  sourceId: number;
  title: string | null;
  variantIds: number[];
}

export interface ItemResult {
  inventoryVariantId: number | null;
  sku: string | null;
  success: boolean;
  result: 'changed' | 'unchanged' | 'created' | 'failed';
  errors: string[] | null;
}

export interface InventorySeed {
  count: number;
  sourceId: number;
  /** SKU prefix, default `SKU`: SKUs are `<prefix>-000001`… */
  prefix?: string;
  quantity?: number;
}

/** Decides, per item, whether an injected per-item failure hits it (the fault injector's draw). */
export type ItemFault = () => boolean;

export class InventoryStore {
  private readonly variants = new Map<number, SimVariant>();
  private readonly parents = new Map<number, SimParent>();
  /** `${sourceId}:${sku}` → variant id / parent id. */
  private readonly variantBySku = new Map<string, number>();
  private readonly parentBySku = new Map<string, number>();
  private nextVariantId = 500_001;
  private nextParentId = 900_001;
  private readonly clock = new MonotonicClock();

  get size(): number {
    return this.variants.size;
  }

  seed(o: InventorySeed): number {
    if (!Number.isSafeInteger(o.count) || o.count < 0 || o.count > 1_000_000)
      throw new RangeError('inventory seed count must be 0..1000000');
    const prefix = o.prefix ?? 'SKU';
    for (let i = 1; i <= o.count; i++) {
      const sku = `${prefix}-${String(i).padStart(6, '0')}`;
      if (this.variantBySku.has(`${o.sourceId}:${sku}`)) continue;
      const parent = this.newParent(o.sourceId, sku, `Product ${sku}`);
      this.newVariant(o.sourceId, parent, sku, { title: `Product ${sku}`, quantity: o.quantity ?? 0 });
    }
    return this.variants.size;
  }

  bySku(sourceId: number, sku: string): SimVariant | undefined {
    const id = this.variantBySku.get(`${sourceId}:${sku}`);
    return id === undefined ? undefined : this.variants.get(id);
  }

  /** `GET /inventory/variants`: ids win over skus; both must fit the page size; ordered by id. */
  list(
    sourceId: number,
    q: { page: number; pageSize: number; skus?: string[]; ids?: number[]; updatedAfter?: number },
  ): SimVariant[] {
    if (q.ids && q.ids.length > q.pageSize)
      throw badRequest(`ids: ${q.ids.length} given, at most pageSize (${q.pageSize}) allowed`);
    if (q.skus && q.skus.length > q.pageSize)
      throw badRequest(`skus: ${q.skus.length} given, at most pageSize (${q.pageSize}) allowed`);
    let pool: SimVariant[];
    if (q.ids) pool = q.ids.map((id) => this.variants.get(id)).filter(isVariant);
    else if (q.skus) pool = q.skus.map((sku) => this.bySku(sourceId, sku)).filter(isVariant);
    else pool = [...this.variants.values()];
    const mine = pool
      .filter((v) => v.sourceId === sourceId)
      .filter((v) => q.updatedAfter === undefined || Date.parse(v.updatedAt) > q.updatedAfter)
      .sort((a, b) => a.id - b.id);
    const start = (q.page - 1) * q.pageSize;
    return mine.slice(start, start + q.pageSize).map((v) => ({ ...v }));
  }

  /**
   * `PUT /inventory/variants`: up to 50 existing variants, each named by `inventoryVariantId` and `sku`.
   * A structural problem refuses the whole request (400, nothing changes); a variant that cannot be updated
   * fails alone inside the 2xx, as public clients' payloads show.
   */
  update(
    sourceId: number,
    body: unknown,
    modify: Record<InventoryField, ModifyMode>,
    itemFault: ItemFault,
  ): ItemResult[] {
    if (!Array.isArray(body)) throw badRequest('Body must be a JSON array of inventory variants');
    if (body.length === 0) throw badRequest('Body must contain at least one inventory variant');
    if (body.length > MAX_VARIANTS_PER_PUT)
      throw badRequest(`At most ${MAX_VARIANTS_PER_PUT} variants per request, got ${body.length}`);
    body.forEach((raw, i) => {
      const o = raw as Record<string, unknown> | null;
      if (o === null || typeof o !== 'object') throw badRequest(`[${i}] must be an object`);
      if (!Number.isSafeInteger(o.inventoryVariantId))
        throw badRequest(`[${i}].inventoryVariantId is required (an integer)`);
      if (typeof o.sku !== 'string' || o.sku === '') throw badRequest(`[${i}].sku is required`);
      for (const f of Object.keys(INVENTORY_FIELDS) as InventoryField[]) {
        const v = o[f];
        if (v === undefined || v === null) continue;
        if (f === 'allowBackorders' ? typeof v !== 'boolean' : typeof v !== 'number' || !Number.isFinite(v))
          throw badRequest(`[${i}].${f} must be a ${f === 'allowBackorders' ? 'boolean' : 'number'}`);
      }
    });
    return (body as Record<string, unknown>[]).map((o) => {
      const id = o.inventoryVariantId as number;
      const sku = o.sku as string;
      const v = this.variants.get(id);
      const fail = (msg: string): ItemResult => ({
        inventoryVariantId: id,
        sku,
        success: false,
        result: 'failed',
        errors: [msg],
      });
      if (!v || v.sourceId !== sourceId) return fail(`Inventory variant ${id} not found for this source`);
      if (v.sku !== sku) return fail(`Inventory variant ${id} has SKU ${v.sku}, not ${sku}`);
      if (itemFault()) return fail('Temporary failure saving the variant (injected); retry later');
      const changed = this.apply(v, o, modify);
      return {
        inventoryVariantId: id,
        sku,
        success: true,
        result: changed ? 'changed' : 'unchanged',
        errors: null,
      };
    });
  }

  /**
   * `POST /inventory/parents`: create or update up to 20 parents with their variants, matched by SKU.
   * Omitted fields stay as they are; an explicit null clears (the documented difference from the deprecated
   * `POST /inventory`). One result per parent, with per-variant results.
   */
  upsertParents(sourceId: number, body: unknown, itemFault: ItemFault): unknown[] {
    if (!Array.isArray(body)) throw badRequest('Body must be a JSON array of inventory parents');
    if (body.length === 0) throw badRequest('Body must contain at least one inventory parent');
    if (body.length > MAX_PARENTS_PER_POST)
      throw badRequest(`At most ${MAX_PARENTS_PER_POST} parents per request, got ${body.length}`);
    body.forEach((raw, i) => {
      const p = raw as Record<string, unknown> | null;
      if (p === null || typeof p !== 'object') throw badRequest(`[${i}] must be an object`);
      if (typeof p.sku !== 'string' || p.sku === '') throw badRequest(`[${i}].sku is required`);
      if (p.variants !== undefined && p.variants !== null && !Array.isArray(p.variants))
        throw badRequest(`[${i}].variants must be an array`);
      ((p.variants as unknown[] | undefined) ?? []).forEach((rv, j) => {
        const v = rv as Record<string, unknown> | null;
        if (v === null || typeof v !== 'object' || typeof v.sku !== 'string' || v.sku === '')
          throw badRequest(`[${i}].variants[${j}].sku is required`);
      });
    });
    const all: Record<InventoryField, ModifyMode> = {
      quantity: 'update',
      cost: 'update',
      msrp: 'update',
      map: 'update',
      inventoryListPrice: 'update',
      allowBackorders: 'update',
    };
    return (body as Record<string, unknown>[]).map((p) => {
      const sku = p.sku as string;
      let parentId = this.parentBySku.get(`${sourceId}:${sku}`);
      const created = parentId === undefined;
      const parent =
        parentId === undefined
          ? this.newParent(sourceId, sku, typeof p.title === 'string' ? p.title : null)
          : this.parents.get(parentId)!;
      parentId = parent.id;
      if (!created && 'title' in p) parent.title = typeof p.title === 'string' ? p.title : null;
      const variants = ((p.variants as Record<string, unknown>[] | undefined) ?? []).map((rv) => {
        const vsku = rv.sku as string;
        if (itemFault()) {
          return {
            id: null,
            sku: vsku,
            success: false,
            result: 'failed',
            errors: ['Temporary failure saving the variant (injected); retry later'],
          };
        }
        const existing = this.bySku(sourceId, vsku);
        if (existing && existing.inventoryParentId !== parent.id) {
          return {
            id: existing.id,
            sku: vsku,
            success: false,
            result: 'failed',
            errors: [`SKU ${vsku} belongs to another parent (${existing.inventoryParentId})`],
          };
        }
        if (existing) {
          // Omitted fields stay; an explicit null clears.
          const present = Object.fromEntries(
            (Object.keys(all) as InventoryField[]).map((f) => [f, f in rv ? 'update' : 'none']),
          ) as Record<InventoryField, ModifyMode>;
          const changed = this.apply(existing, rv, present);
          return {
            id: existing.id,
            sku: vsku,
            success: true,
            result: changed ? 'changed' : 'unchanged',
            errors: null,
          };
        }
        const v = this.newVariant(sourceId, parent, vsku, rv);
        return { id: v.id, sku: vsku, success: true, result: 'created', errors: null };
      });
      return {
        id: parent.id,
        sku,
        success: variants.every((v) => v.success),
        result: created
          ? 'created'
          : variants.some((v) => v.result !== 'unchanged')
            ? 'changed'
            : 'unchanged',
        errors: null,
        variants,
      };
    });
  }

  private apply(
    v: SimVariant,
    o: Record<string, unknown>,
    modify: Record<InventoryField, ModifyMode>,
  ): boolean {
    let changed = false;
    for (const f of Object.keys(INVENTORY_FIELDS) as InventoryField[]) {
      const mode = modify[f];
      if (mode === 'none') continue;
      const value = o[f];
      if (mode === 'updateNonNull' && (value === undefined || value === null)) continue;
      const next = value === undefined ? null : (value as number | boolean | null);
      if (v[f] !== next) {
        (v as unknown as Record<string, unknown>)[f] = next;
        changed = true;
      }
    }
    if (changed) v.updatedAt = this.clock.nowIso();
    return changed;
  }

  private newParent(sourceId: number, sku: string, title: string | null): SimParent {
    const p: SimParent = { id: this.nextParentId++, sku, sourceId, title, variantIds: [] };
    this.parents.set(p.id, p);
    this.parentBySku.set(`${sourceId}:${sku}`, p.id);
    return p;
  }

  private newVariant(
    sourceId: number,
    parent: SimParent,
    sku: string,
    o: Record<string, unknown>,
  ): SimVariant {
    const now = this.clock.nowIso();
    const num = (k: string) => (typeof o[k] === 'number' ? (o[k] as number) : null);
    const v: SimVariant = {
      id: this.nextVariantId++,
      sku,
      sourceId,
      inventoryParentId: parent.id,
      title: typeof o.title === 'string' ? o.title : null,
      quantity: num('quantity'),
      cost: num('cost'),
      msrp: num('msrp'),
      map: num('map'),
      inventoryListPrice: num('inventoryListPrice'),
      allowBackorders: typeof o.allowBackorders === 'boolean' ? o.allowBackorders : null,
      archived: false,
      insertedAt: now,
      updatedAt: now,
    };
    this.variants.set(v.id, v);
    this.variantBySku.set(`${sourceId}:${sku}`, v.id);
    parent.variantIds.push(v.id);
    return v;
  }
}

/** Reads the `modifyX` switches of a PUT; an absent one takes the configured default (undocumented). */
export function modifySwitches(q: URLSearchParams, dflt: ModifyMode): Record<InventoryField, ModifyMode> {
  const out = {} as Record<InventoryField, ModifyMode>;
  for (const [field, param] of Object.entries(INVENTORY_FIELDS) as [InventoryField, string][]) {
    const raw = q.get(param);
    if (raw === null || raw === '') out[field] = dflt;
    else if ((MODIFY_MODES as readonly string[]).includes(raw)) out[field] = raw as ModifyMode;
    else throw badRequest(`${param} must be one of ${MODIFY_MODES.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return out;
}

function isVariant(v: SimVariant | undefined): v is SimVariant {
  return v !== undefined;
}
