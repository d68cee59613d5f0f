import { request, type Dispatcher } from 'undici';
import type { FulfillmentRequestSnapshot, HandlerDecision } from '../common/domain';
import { DecisionValidationError, validateDecision } from './decision-schema';
import { HandlerRejectedError, type FrHandler, type FrHandlerContext } from './types';

// Hands each FR to the integrator's ERP/WMS over HTTP and takes its answer as the decision. Status codes
// map to retry semantics in this one place: transient trouble is a plain Error (Temporal retries it), a
// definite "no" or a broken contract is a HandlerRejectedError (the FR is marked processing-failed).

export interface HttpHandlerOptions {
  url: string;
  /** Whole request, connect to last body byte. */
  timeoutMs: number;
  /** Sent as given (e.g. Authorization). Values are secrets as far as this module is concerned: never logged. */
  headers?: Record<string, string>;
  /** undici dispatcher (connection pool, proxy, test mock). Default: undici's global one. */
  dispatcher?: Dispatcher;
}

/** What the endpoint receives (POST, JSON). */
export interface HttpHandlerRequestBody {
  sourceKey: string;
  sourceId: number;
  fulfillmentRequest: FulfillmentRequestSnapshot;
  /** Why the FR cannot be fulfilled as sent (docs/handlers.md); absent when there is nothing wrong. */
  problems?: string[];
}

/** A decision is a few hundred bytes; anything this large is not one. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * 4xx answers that mean "not now" rather than "no": request timeout, a concurrent request with the same
 * Idempotency-Key still in progress, too early, rate limited. They are retried like a 5xx.
 */
const RETRYABLE_4XX = new Set([408, 409, 425, 429]);

export function createHttpHandler(options: HttpHandlerOptions): FrHandler {
  const target = safeUrl(options.url);
  if (!(options.timeoutMs > 0))
    throw new Error('http handler: timeoutMs must be a positive number of milliseconds');
  // Caller headers first, lower-cased so ours below replace rather than duplicate them.
  const baseHeaders: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.headers ?? {})) baseHeaders[k.toLowerCase()] = v;

  return {
    name: `http:${target.display}`,
    async decide(fr, ctx) {
      const body: HttpHandlerRequestBody = {
        sourceKey: ctx.sourceKey,
        sourceId: ctx.sourceId,
        fulfillmentRequest: fr,
        ...(ctx.problems?.length ? { problems: ctx.problems } : {}),
      };
      const { status, text } = await send(
        target,
        options,
        ctx,
        {
          ...baseHeaders,
          'content-type': 'application/json',
          accept: 'application/json',
          // The endpoint sees the same key on every retry of this FR and can dedupe its own side effects.
          'idempotency-key': ctx.workflowId,
        },
        JSON.stringify(body),
      );
      const where = `handler endpoint ${target.display} (FR ${fr.id})`;
      // An endpoint that echoes the request (debug pages do) must not put our header values in a message.
      const snippet = (t: string) => shorten(redact(t, Object.values(baseHeaders)));

      if (status >= 500) throw new Error(`${where} answered ${status}; will retry: ${snippet(text)}`);
      if (RETRYABLE_4XX.has(status)) throw new Error(`${where} answered ${status} (try later); will retry`);
      if (status >= 300) {
        throw new HandlerRejectedError(
          `${where} answered ${status}, which is final: the FR will be marked processing-failed. ` +
            `${status < 400 ? 'Redirects are not followed: configure the final URL. ' : ''}` +
            `Response: ${snippet(text)}`,
        );
      }
      return parseDecision(fr, text, where, snippet);
    },
  };
}

async function send(
  target: ReturnType<typeof safeUrl>,
  options: HttpHandlerOptions,
  ctx: FrHandlerContext,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; text: string }> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = ctx.signal ? AbortSignal.any([timeout, ctx.signal]) : timeout;
  try {
    const res = await request(target.href, {
      method: 'POST',
      headers,
      body,
      signal,
      dispatcher: options.dispatcher,
    });
    return { status: res.statusCode, text: await readLimited(res.body) };
  } catch (err) {
    // Cancellation belongs to the caller (Temporal): hand back its own reason untouched.
    if (ctx.signal?.aborted) throw ctx.signal.reason ?? err;
    if (err instanceof HandlerRejectedError) throw err;
    if (timeout.aborted) {
      throw new Error(
        `handler endpoint ${target.display} did not answer within ${options.timeoutMs} ms; will retry`,
      );
    }
    const e = err as Error & { code?: string };
    // Only the code and message: undici errors do not carry request headers, and neither does this.
    throw new Error(
      `handler endpoint ${target.display} unreachable (${e.code ?? e.name}: ${e.message}); will retry`,
    );
  }
}

async function readLimited(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += buf.length;
    if (size > MAX_RESPONSE_BYTES) {
      body.destroy();
      throw new HandlerRejectedError(
        `handler endpoint response exceeds ${MAX_RESPONSE_BYTES} bytes; a decision is a small JSON object`,
      );
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseDecision(
  fr: FulfillmentRequestSnapshot,
  text: string,
  where: string,
  snippet: (t: string) => string,
): HandlerDecision {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new HandlerRejectedError(
      `${where} answered 2xx but not with JSON (${snippet(text)}). ` +
        'It must answer with a decision such as {"kind":"accept"}; see docs/handlers.md.',
    );
  }
  try {
    return validateDecision(fr, raw);
  } catch (err) {
    if (err instanceof DecisionValidationError) {
      throw new HandlerRejectedError(
        `${where} returned an ${err.message}. Fix the endpoint; see docs/handlers.md.`,
        {
          cause: err,
        },
      );
    }
    throw err;
  }
}

/** For messages and the handler's name: no credentials, no query string (either may hold a token). */
function safeUrl(raw: string): { href: string; display: string } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(
      'http handler: url is not an absolute URL (expected http://host/path or https://host/path)',
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new Error(`http handler: url must use http or https, not ${u.protocol}`);
  }
  return { href: u.href, display: `${u.protocol}//${u.host}${u.pathname}` };
}

function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('***');
  return out;
}

function shorten(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  if (!t) return '(empty body)';
  return t.length > 300 ? `${t.slice(0, 300)}…` : t;
}
