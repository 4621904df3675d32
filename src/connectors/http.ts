// The HTTP client connectors are given (contract.ts SourceHttp): JSON over fetch, bound to the
// source's base URL and credentials, with a timeout per request. 429 waits for Retry-After (or backs
// off), 5xx and network errors back off exponentially with full jitter; all of it within a time
// budget, after which the sync fails as "unavailable" and its job retries later from the committed
// cursor. 401/403 are permanent. Credentials are never part of an error message.
import {
  type ClassifyHttpError,
  ConnectorAuthError,
  SourceRequestError,
  SourceUnavailableError,
  type HttpRequest,
  type SourceHttp,
} from "./contract.ts";

export interface SourceHttpOptions {
  baseUrl: string;
  headers: Record<string, string>;
  /** For messages: "Stripe". */
  source: string;
  signal?: AbortSignal;
  /** Per request. Default 30 s. */
  timeoutMs?: number;
  /** Time spent waiting and retrying one request before giving up. Default 2 minutes. */
  retryBudgetMs?: number;
  /** First backoff; doubles each retry, capped at 30 s, with full jitter. Default 500 ms. */
  backoffMs?: number;
  /** The vendor's error answers whose status misleads (ConnectorDefinition.classifyError). */
  classify?: ClassifyHttpError;
  /** Tests make waiting instant and observable. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

const MAX_BACKOFF_MS = 30_000;

export function createSourceHttp(o: SourceHttpOptions): SourceHttp {
  const timeoutMs = o.timeoutMs ?? 30_000;
  const budgetMs = o.retryBudgetMs ?? 120_000;
  const backoffMs = o.backoffMs ?? 500;
  const sleep = o.sleep ?? abortableSleep;
  const random = o.random ?? Math.random;
  const base = o.baseUrl.replace(/\/+$/, "");

  return {
    async json<T>(request: HttpRequest): Promise<T> {
      const url = `${base}${request.path}${queryString(request.query)}`;
      const what = `${o.source} ${request.method ?? "GET"} ${request.path}`;
      const started = Date.now();
      for (let attempt = 0; ; attempt++) {
        let wait: number;
        let problem: string;
        try {
          const res = await fetch(url, {
            method: request.method ?? "GET",
            headers: {
              accept: "application/json",
              ...contentType(request),
              ...o.headers,
              ...request.headers,
            },
            body: bodyOf(request),
            signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(o.signal ? [o.signal] : [])]),
          });
          const text = await res.text();
          if (res.ok) {
            request.onHeaders?.(res.headers);
            return parseJson<T>(text, what);
          }
          // 429 and 5xx are a vendor's way of saying "later" whatever its body says.
          const fault =
            res.status === 429 || res.status >= 500 ? null : (o.classify?.(res.status, text) ?? null);
          if (fault && "auth" in fault) {
            throw new ConnectorAuthError(
              `${o.source} refused the credentials (${fault.problem}): update them with \`css-bot connectors add\``,
            );
          }
          if (!fault && (res.status === 401 || res.status === 403)) {
            throw new ConnectorAuthError(
              `${o.source} refused the credentials (HTTP ${res.status}${detail(text)}): update them with \`css-bot connectors add\``,
            );
          }
          if (!fault && res.status !== 429 && res.status < 500) {
            throw new SourceRequestError(`${what} failed: HTTP ${res.status}${detail(text)}`);
          }
          problem = fault ? `HTTP ${res.status} ${fault.problem}` : `HTTP ${res.status}`;
          wait = retryAfterMs(res.headers.get("retry-after")) ?? jittered(backoffMs, attempt, random);
        } catch (error) {
          if (error instanceof ConnectorAuthError || error instanceof SourceRequestError) throw error;
          if (o.signal?.aborted) throw error;
          const permanent = permanentNetworkError(error);
          if (permanent) throw new SourceRequestError(`${what} failed: ${permanent}`);
          problem =
            (error as Error).name === "TimeoutError" ? `no answer in ${timeoutMs} ms` : networkError(error);
          wait = jittered(backoffMs, attempt, random);
        }
        if (Date.now() - started + wait > budgetMs) {
          throw new SourceUnavailableError(
            `${what}: still failing after ${attempt + 1} attempt(s) over ${Math.round((Date.now() - started) / 1000)} s (${problem})`,
          );
        }
        await sleep(wait, o.signal);
      }
    },
  };
}

function contentType(request: HttpRequest): Record<string, string> {
  if (request.form) return { "content-type": "application/x-www-form-urlencoded" };
  return request.body === undefined ? {} : { "content-type": "application/json" };
}

function bodyOf(request: HttpRequest): string | undefined {
  if (request.form) return new URLSearchParams(request.form).toString();
  return request.body === undefined ? undefined : JSON.stringify(request.body);
}

function queryString(query: HttpRequest["query"]): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value as readonly string[]) params.append(key, v);
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new SourceRequestError(`${what} answered with something that is not JSON: ${text.slice(0, 120)}`);
  }
}

/** A short, safe excerpt of an error body (vendors' error messages, never our request). */
function detail(text: string): string {
  const clean = text.replace(/\s+/g, " ").trim().slice(0, 200);
  return clean ? `: ${clean}` : "";
}

/**
 * Network errors no retry can cure (the address or the TLS setup is wrong): the sync fails at once,
 * naming the cause, rather than after the retry budget. Null for the others (refused, reset, DNS).
 */
function permanentNetworkError(error: unknown): string | null {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  const code = e.cause?.code ?? "";
  if (e.cause?.message === "bad port") return "the port is one fetch refuses to use (bad port)";
  if (code === "ERR_SSL_WRONG_VERSION_NUMBER")
    return `${code}: is the base URL https:// for a server that speaks http?`;
  if (TLS_CERTIFICATE_ERRORS.has(code)) return `${code}: the server's TLS certificate is not trusted`;
  return null;
}

const TLS_CERTIFICATE_ERRORS = new Set([
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

function networkError(error: unknown): string {
  // fetch says only "fetch failed"; the cause says why (ECONNREFUSED, "bad port"...).
  const e = error as Error & { cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message;
}

/** Retry-After in seconds or as an HTTP date; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (header === null || header.trim() === "") return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Full jitter: a random wait between 0 and the exponential backoff (AWS's recommendation). */
export function jittered(baseMs: number, attempt: number, random: () => number): number {
  return Math.round(random() * Math.min(MAX_BACKOFF_MS, baseMs * 2 ** attempt));
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
