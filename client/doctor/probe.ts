import { type Dispatcher } from 'undici';
import { setTimeout as sleep } from 'node:timers/promises';
import { FlxpointError } from '../../activities/flxpoint/errors';
import { FulfillmentRequestSchema } from '../../activities/flxpoint/schemas';
import {
  type IncomingResponse,
  type OutgoingRequest,
  type TransportConfig,
  createDefaultAgent,
  exchange,
} from '../../activities/flxpoint/transport';

// `doctor`: a handful of read-only requests that tell how *this* Flxpoint answers where the docs disagree
// or are silent (list dialect, envelope, page base, whole FRs in the list, the token's source, rate-limit
// headers), and the configuration to use. It never writes: only GETs, paced under the 2 req/s budget, so it
// is safe to run against production with the worker's own token.

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  detail: string;
}

export interface DoctorReport {
  baseUrl: string;
  checks: DoctorCheck[];
  /** Settings to use, as environment variables the worker reads. */
  recommended: Record<string, string>;
  /** Requests made (all GET). */
  requests: number;
  /** True when any check failed: a worker with these settings would misbehave. */
  failed: boolean;
}

export interface DoctorOptions {
  baseUrl: string;
  /** Secret: sent as X-API-TOKEN, never printed. */
  token: string;
  /** The source id the worker is configured with, to compare with what the token sees. */
  expectedSourceId?: number;
  /** The dialect the worker is configured with today (to say whether it must change). */
  configuredDialect?: 'guide' | 'reference';
  dispatcher?: Dispatcher;
  /** Pause between requests; default 600 ms keeps the doctor under Flxpoint's 2 req/s per token. */
  minIntervalMs?: number;
  requestTimeoutMs?: number;
}

/** What a probe saw: the list elements (raw) or why there are none. */
interface ListProbe {
  status: number;
  /** undefined when the body was no list at all. */
  elements?: unknown[];
  envelope?: 'array' | 'items' | 'data';
  headers: IncomingResponse['headers'];
}

const NEW_WORK = new Set(['processing', 'processed']);
const RATE_HEADERS = /^(retry-after|x-rate-?limit.*|ratelimit.*|x-auth-pool.*|x-auth-replenished.*)$/i;

export async function runDoctor(opts: DoctorOptions): Promise<DoctorReport> {
  const baseUrl = opts.baseUrl.replace(/\/+$/, '');
  const ownedAgent = opts.dispatcher ? undefined : createDefaultAgent(opts.requestTimeoutMs ?? 15_000);
  const transport: TransportConfig = {
    baseUrl,
    dispatcher: opts.dispatcher ?? ownedAgent!,
    headers: Object.freeze({ 'x-api-token': opts.token }),
    timeoutMs: opts.requestTimeoutMs ?? 15_000,
  };
  const checks: DoctorCheck[] = [];
  const add = (name: string, status: CheckStatus, detail: string) => checks.push({ name, status, detail });
  const seenHeaders = new Map<string, string>();
  let requests = 0;
  const interval = opts.minIntervalMs ?? 600;

  async function list(query: Record<string, string>): Promise<ListProbe> {
    if (requests > 0 && interval > 0) await sleep(interval);
    requests++;
    const req: OutgoingRequest = { method: 'GET', path: '/fulfillment-requests', query };
    const res = await exchange(transport, req);
    for (const [k, v] of Object.entries(res.headers)) {
      if (RATE_HEADERS.test(k) && v !== undefined) seenHeaders.set(k.toLowerCase(), String(v));
    }
    if (res.status < 200 || res.status > 299) return { status: res.status, headers: res.headers };
    let body: unknown;
    try {
      body = JSON.parse(res.text);
    } catch {
      return { status: res.status, headers: res.headers };
    }
    if (Array.isArray(body))
      return { status: res.status, elements: body, envelope: 'array', headers: res.headers };
    const o = (body ?? {}) as Record<string, unknown>;
    if (Array.isArray(o.items))
      return { status: res.status, elements: o.items, envelope: 'items', headers: res.headers };
    if (Array.isArray(o.data))
      return { status: res.status, elements: o.data, envelope: 'data', headers: res.headers };
    return { status: res.status, headers: res.headers };
  }

  const recommended: Record<string, string> = {};
  try {
    // 1. The token, the base URL and the envelope: a first page in the documented (reference) dialect,
    // unfiltered, so it also shows whether any FR visible to the token is not waiting (needed to tell
    // whether a status filter filters).
    const first = await list({ filterPageNumber: '1', filterPageSize: '50' });
    if (first.status === 401 || first.status === 403) {
      add(
        'token',
        'fail',
        `Flxpoint answered ${first.status}: the token is not valid for this API or is of the wrong kind ` +
          '(a Source token is needed; Account tokens cannot act on a source). Check FLXPOINT_TOKEN_<KEY>.',
      );
      return finish();
    }
    if (first.status === 404) {
      add('base URL', 'fail', `GET ${baseUrl}/fulfillment-requests answered 404: check FLXPOINT_BASE_URL`);
      return finish();
    }
    if (first.status < 200 || first.status > 299) {
      add(
        'reachability',
        'fail',
        `GET /fulfillment-requests answered ${first.status}; run doctor again later (nothing was changed)`,
      );
      return finish();
    }
    if (!first.elements) {
      add(
        'list shape',
        'fail',
        'the FR list is neither a JSON array nor {items|data: [...]}: the worker cannot read it',
      );
      return finish();
    }
    add('token', 'ok', `accepted (HTTP ${first.status})`);
    add(
      'list envelope',
      'ok',
      first.envelope === 'array' ? 'bare JSON array' : `object with "${first.envelope}"`,
    );

    // 2. Which parameters the server honours: paging by each dialect, status filter by each dialect.
    const refPage1 = await list({ filterPageNumber: '1', filterPageSize: '1' });
    const guidePage1 = await list({ page: '1', size: '1' });
    const refStatus = await list({
      filterStatus: 'Processing,Processed',
      filterPageNumber: '1',
      filterPageSize: '50',
    });
    const guideStatus = await list({ status: 'NEW', page: '1', size: '50' });
    const all =
      first.elements.length + (refStatus.elements?.length ?? 0) + (guideStatus.elements?.length ?? 0);

    const pagingHonoured = (p: ListProbe) => (p.elements ? p.elements.length <= 1 : undefined);
    const refPaging = pagingHonoured(refPage1);
    const guidePaging = pagingHonoured(guidePage1);
    // A filter is seen to filter only when the unfiltered answer holds an FR it should have left out.
    const notWaitingExists = first.elements.some((el) => {
      const s = statusHandle(el);
      return s !== undefined && !NEW_WORK.has(s);
    });
    const filterHonoured = (p: ListProbe): boolean | undefined => {
      if (!p.elements) return false; // refused (4xx): not a filter this server speaks
      const statuses = p.elements.map(statusHandle);
      if (statuses.some((s) => s !== undefined && !NEW_WORK.has(s))) return false;
      return p.elements.length > 0 && notWaitingExists ? true : undefined;
    };
    const refFilter = filterHonoured(refStatus);
    const guideFilter = filterHonoured(guideStatus);

    const describe = (paging: boolean | undefined, filter: boolean | undefined) =>
      `paging ${paging === undefined ? 'unknown' : paging ? 'honoured' : 'IGNORED'}, status filter ${
        filter === undefined
          ? 'unknown (it takes one FR waiting and one that is not to tell)'
          : filter
            ? 'honoured'
            : 'IGNORED'
      }`;
    const refOk = refPaging !== false && refFilter !== false;
    const guideOk = guidePaging !== false && guideFilter !== false;
    add(
      'reference dialect (filterStatus/filterPageNumber/filterPageSize)',
      refOk ? 'ok' : 'warn',
      describe(refPaging, refFilter),
    );
    add('guide dialect (status=NEW/page/size)', guideOk ? 'ok' : 'warn', describe(guidePaging, guideFilter));
    if (refOk) recommended.FLXPOINT_LIST_DIALECT = 'reference';
    else if (guideOk) recommended.FLXPOINT_LIST_DIALECT = 'guide';
    if (!refOk && !guideOk) {
      add(
        'list dialect',
        'fail',
        'neither dialect both pages and filters the FR list: a poller would read every FR ever made. ' +
          'Do not run the worker against this server until this is understood.',
      );
    } else if (opts.configuredDialect && recommended.FLXPOINT_LIST_DIALECT !== opts.configuredDialect) {
      const configuredOk = opts.configuredDialect === 'reference' ? refOk : guideOk;
      add(
        'configured dialect',
        configuredOk ? 'warn' : 'fail',
        configuredOk
          ? `FLXPOINT_LIST_DIALECT=${opts.configuredDialect} works, but ${recommended.FLXPOINT_LIST_DIALECT} is the documented contract`
          : `FLXPOINT_LIST_DIALECT=${opts.configuredDialect} is ignored by this server: set FLXPOINT_LIST_DIALECT=${recommended.FLXPOINT_LIST_DIALECT}`,
      );
    }

    // 3. Page base: page 0 either fails, repeats page 1 (1-based) or is the first page (0-based).
    if (refPaging) {
      const page0 = await list({ filterPageNumber: '0', filterPageSize: '1' });
      const page2 = await list({ filterPageNumber: '2', filterPageSize: '1' });
      const id = (p: ListProbe) => idOf(p.elements?.[0]);
      const p0 = id(page0);
      const p1 = id(refPage1);
      const p2 = id(page2);
      if (p1 === undefined) add('page base', 'warn', 'unknown: no FR to page through');
      else if (!page0.elements || p0 === p1 || p0 === undefined)
        add(
          'page base',
          'ok',
          `pages start at 1 (page 0 ${page0.elements ? 'repeats page 1' : `answers ${page0.status}`})`,
        );
      else
        add(
          'page base',
          'fail',
          `page 0 (id ${p0}) differs from page 1 (id ${p1}${p2 !== undefined ? `, page 2 id ${p2}` : ''}): pages look 0-based, which the worker does not support`,
        );
    }

    // 4. Whole FRs in the list: items with quantities and an address, so no per-FR GET is needed.
    const sample = [...first.elements, ...(refStatus.elements ?? []), ...(guideStatus.elements ?? [])];
    if (sample.length === 0) {
      add('list elements', 'warn', 'no FR visible to this token: completeness of list elements unknown');
    } else {
      const broken = sample
        .map((el) => ({ el, parsed: FulfillmentRequestSchema.safeParse(el) }))
        .filter((x) => !x.parsed.success);
      const partial = sample.filter((el) => {
        const o = el as { fulfillmentRequestItems?: unknown; shippingAddress?: unknown };
        return (
          !Array.isArray(o.fulfillmentRequestItems) ||
          o.fulfillmentRequestItems.length === 0 ||
          !o.shippingAddress
        );
      });
      if (broken.length > 0)
        add(
          'list elements',
          'fail',
          `${broken.length} of ${sample.length} FRs do not match the FR schema the worker reads (first: id ${idOf(broken[0]!.el) ?? '?'})`,
        );
      else if (partial.length > 0)
        add(
          'list elements',
          'warn',
          `${partial.length} of ${sample.length} FRs lack items or an address: the worker will read each FR again`,
        );
      else add('list elements', 'ok', `whole FRs (items and address) in all ${sample.length} seen`);

      // 5. The token's source, from the FRs it sees.
      const sources = [
        ...new Set(
          sample.map((el) => (el as { sourceId?: unknown }).sourceId).filter((s) => typeof s === 'number'),
        ),
      ];
      if (sources.length === 1) {
        const s = sources[0] as number;
        if (opts.expectedSourceId !== undefined && s !== opts.expectedSourceId)
          add(
            'source',
            'fail',
            `the token sees FRs of source ${s}, but the worker is configured with sourceId ${opts.expectedSourceId}`,
          );
        else add('source', 'ok', `a Source token of source ${s}`);
      } else if (sources.length > 1) {
        add(
          'source',
          'fail',
          `the token sees FRs of ${sources.length} sources (${sources.slice(0, 5).join(', ')}): an Account token? Use one Source token per source`,
        );
      }
    }
    if (all === 0)
      add('waiting FRs', 'warn', 'no FR is waiting for this source: filter checks are inconclusive');

    // 6. Rate limit: only what ordinary answers say; the doctor never provokes a 429.
    add(
      'rate limit',
      seenHeaders.size > 0 ? 'ok' : 'warn',
      seenHeaders.size > 0
        ? `headers seen: ${[...seenHeaders].map(([k, v]) => `${k}: ${v}`).join(', ')}`
        : 'no rate-limit headers on ordinary answers; the worker paces itself at FLXPOINT_REQUESTS_PER_SECOND (default 2)',
    );
    recommended.FLXPOINT_ACK_METHOD = 'PATCH';
    add(
      'acknowledge method',
      'ok',
      'not probed (it would write); PATCH is the reference contract, and the worker falls back to the other method on 404/405',
    );
    return finish();
  } catch (err) {
    if (err instanceof FlxpointError) {
      add('reachability', 'fail', `${err.kind}: ${err.message}`);
      return finish();
    }
    throw err;
  } finally {
    await ownedAgent?.close();
  }

  function finish(): DoctorReport {
    return { baseUrl, checks, recommended, requests, failed: checks.some((c) => c.status === 'fail') };
  }
}

function statusHandle(el: unknown): string | undefined {
  const s = (el as { fulfillmentRequestStatus?: { handle?: unknown; name?: unknown } } | null)
    ?.fulfillmentRequestStatus;
  if (typeof s?.handle === 'string') return s.handle.toLowerCase();
  if (typeof s?.name === 'string') return s.name.toLowerCase().replace(/\s+/g, '_');
  return undefined;
}

function idOf(el: unknown): number | undefined {
  const id = (el as { id?: unknown } | null | undefined)?.id;
  return typeof id === 'number' ? id : undefined;
}

/** Plain-text report for a terminal. */
export function formatDoctorReport(r: DoctorReport): string {
  const mark: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' };
  const lines = [`Flxpoint doctor: ${r.baseUrl} (${r.requests} read-only requests)`, ''];
  for (const c of r.checks) lines.push(`  [${mark[c.status]}] ${c.name}: ${c.detail}`);
  lines.push('');
  if (Object.keys(r.recommended).length > 0) {
    lines.push('Configuration to use:');
    for (const [k, v] of Object.entries(r.recommended)) lines.push(`  ${k}=${v}`);
    lines.push('');
  }
  lines.push(r.failed ? 'Result: FAIL — fix the failing checks before running the worker.' : 'Result: OK');
  return lines.join('\n');
}
