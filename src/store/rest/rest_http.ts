/**
 * The REST store's HTTP transport: one request with auth, a per-attempt timeout and bounded
 * retries with exponential backoff on 408/429/5xx and connection errors. MLflow's JSON errors
 * become MltError; a server that is down or answers garbage becomes one clear MltError.
 */
import denoJson from "../../../deno.json" with { type: "json" };
import { type ErrorCode, HTTP_STATUS, invalidParam, MltError } from "../../errors.ts";
import type { HttpStoreOptions } from "../store.ts";

/** Default number of retries of one request. */
export const DEFAULT_MAX_RETRIES = 5;
/** Default first backoff delay (ms); doubled on every retry. */
export const DEFAULT_BACKOFF_MS = 250;
const DEFAULT_TIMEOUT_MS = 120_000;
const MAX_DELAY_MS = 30_000;
const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);
// Server errors that are answers, not hiccups: asking again cannot change them.
const FINAL_CODES = new Set(["INVALID_STATE", "DATA_LOSS", "NOT_IMPLEMENTED"]);

/** A JSON object as the server sends it. */
// deno-lint-ignore no-explicit-any
export type Json = Record<string, any>;

/** What one request sends: a body factory (called once per attempt) and its content type. */
export interface RequestBody {
  body: () => BodyInit | Promise<BodyInit>;
  contentType: string;
  /** No time limit: an upload of unknown size may take longer than any fixed timeout. */
  untimed?: boolean;
}

function statusCode(status: number): ErrorCode {
  if (status === 401) return "UNAUTHENTICATED";
  if (status === 403) return "PERMISSION_DENIED";
  if (status === 404) return "ENDPOINT_NOT_FOUND";
  if (status === 429) return "REQUEST_LIMIT_EXCEEDED";
  if (status === 503) return "TEMPORARILY_UNAVAILABLE";
  if (status === 504) return "DEADLINE_EXCEEDED";
  return status >= 400 && status < 500 ? "BAD_REQUEST" : "INTERNAL_ERROR";
}

/** A short, one-line excerpt of a response body for messages. */
export function snippet(text: string, max = 120): string {
  const one = text.replace(/\s+/g, " ").trim();
  return JSON.stringify(one.length > max ? `${one.slice(0, max)}…` : one);
}

function parseError(text: string): { code: string; message: string } | undefined {
  try {
    const v = JSON.parse(text);
    if (v && typeof v.error_code === "string" && typeof v.message === "string") {
      return { code: v.error_code, message: v.message };
    }
  } catch { /* not JSON: handled by the caller */ }
  return undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The methods of MLflow's tracking endpoints. */
export type HttpMethod = "GET" | "POST" | "PATCH" | "DELETE";

/** HTTP access to one tracking server (base URL without a trailing slash). */
export class HttpTransport {
  readonly base: string;
  #headers: Record<string, string>;
  #maxRetries: number;
  #backoffMs: number;
  #timeoutMs: number;

  constructor(uri: string, opts: HttpStoreOptions = {}) {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw invalidParam(`Invalid tracking URI "${uri}": not a URL`);
    }
    if ((url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname) {
      throw invalidParam(`Invalid tracking URI "${uri}": expected http(s)://host[:port][/path]`);
    }
    this.base = `${url.origin}${url.pathname}`.replace(/\/+$/, "");
    this.#headers = { "user-agent": `mlt/${denoJson.version}` };
    if (opts.username && opts.password) {
      const raw = new TextEncoder().encode(`${opts.username}:${opts.password}`);
      this.#headers.authorization = `Basic ${btoa(String.fromCharCode(...raw))}`;
    } else if (opts.token) this.#headers.authorization = `Bearer ${opts.token}`;
    this.#maxRetries = opts.maxRetries ?? DEFAULT_MAX_RETRIES;
    this.#backoffMs = opts.backoffMs ?? DEFAULT_BACKOFF_MS;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Calls a tracking endpoint under `/api/2.0/mlflow/` and returns its JSON object. */
  async call(method: HttpMethod, endpoint: string, fields: Json): Promise<Json> {
    let url = `${this.base}/api/2.0/mlflow/${endpoint}`;
    let body: RequestBody | undefined;
    if (method === "GET") {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(fields)) {
        if (v === undefined || v === null) continue;
        for (const x of Array.isArray(v) ? v : [v]) q.append(k, String(x));
      }
      if (q.size) url += `?${q}`;
    } else {
      const text = JSON.stringify(fields);
      body = { body: () => text, contentType: "application/json" };
    }
    const what = `${method} ${endpoint}`;
    const res = await this.request(method, url, what, body);
    const text = await this.#text(res, what);
    if (text.trim() === "") return {};
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      throw this.garbage(what, `a body that is not JSON: ${snippet(text)}`);
    }
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      throw this.garbage(what, `JSON that is not an object: ${snippet(text)}`);
    }
    return v as Json;
  }

  /** An MltError for a response that does not have the shape MLflow's API promises. */
  garbage(what: string, detail: string): MltError {
    return new MltError(
      "INTERNAL_ERROR",
      `The tracking server at ${this.base} answered ${what} with ${detail}; is it an MLflow ` +
        "tracking server?",
    );
  }

  async #text(res: Response, what: string): Promise<string> {
    try {
      return await res.text();
    } catch (e) {
      throw new MltError(
        "TEMPORARILY_UNAVAILABLE",
        `The tracking server at ${this.base} broke off its answer to ${what}: ${
          (e as Error).message
        }`,
      );
    }
  }

  /**
   * Sends one request, retrying as configured; returns a 2xx response (its body unread) or
   * throws the server's error as an MltError.
   */
  async request(method: string, url: string, what: string, body?: RequestBody): Promise<Response> {
    for (let attempt = 0;; attempt++) {
      const ac = new AbortController();
      const timer = body?.untimed ? undefined : setTimeout(() => ac.abort(), this.#timeoutMs);
      let res: Response | undefined;
      let failure: unknown;
      try {
        const headers: Record<string, string> = { ...this.#headers };
        if (body) headers["content-type"] = body.contentType;
        res = await fetch(url, {
          method,
          headers,
          body: body ? await body.body() : undefined,
          signal: ac.signal,
        });
      } catch (e) {
        failure = e;
      } finally {
        clearTimeout(timer);
      }
      const last = attempt >= this.#maxRetries;
      if (res?.ok) return res;
      if (res) {
        const text = await res.text().catch(() => "");
        const err = parseError(text);
        const retry = RETRY_STATUS.has(res.status) && !(err && FINAL_CODES.has(err.code));
        if (!retry || last) throw this.#errorOf(res.status, text, err, what, attempt);
        await sleep(this.#delay(attempt, res.headers.get("retry-after")));
        continue;
      }
      if (last) throw this.#unreachable(failure, ac.signal.aborted, what, attempt);
      await sleep(this.#delay(attempt, null));
    }
  }

  #delay(attempt: number, retryAfter: string | null): number {
    const hinted = retryAfter !== null && /^\d+(\.\d+)?$/.test(retryAfter.trim())
      ? Number(retryAfter) * 1000
      : undefined;
    const base = hinted ?? this.#backoffMs * 2 ** attempt;
    // Jitter keeps many clients that failed together from retrying together.
    return Math.min(MAX_DELAY_MS, base * (0.75 + Math.random() * 0.5));
  }

  #errorOf(
    status: number,
    text: string,
    err: { code: string; message: string } | undefined,
    what: string,
    attempt: number,
  ): MltError {
    const tries = attempt > 0 ? ` (after ${attempt + 1} attempts)` : "";
    if (err) {
      const known = err.code in HTTP_STATUS;
      return new MltError(
        known ? err.code as ErrorCode : "INTERNAL_ERROR",
        (known ? err.message : `${err.code}: ${err.message}`) + tries,
      );
    }
    return new MltError(
      statusCode(status),
      `The tracking server at ${this.base} answered ${what} with HTTP ${status}` +
        (text.trim() ? `: ${snippet(text)}` : "") + tries,
    );
  }

  #unreachable(e: unknown, timedOut: boolean, what: string, attempt: number): MltError {
    const tries = `${attempt + 1} attempt${attempt ? "s" : ""}`;
    if (timedOut) {
      return new MltError(
        "DEADLINE_EXCEEDED",
        `The tracking server at ${this.base} did not answer ${what} within ` +
          `${this.#timeoutMs / 1000} s (${tries})`,
      );
    }
    const detail = ((e as Error)?.message ?? String(e))
      .replace(/^error sending request for url \([^)]*\): /, "");
    return new MltError(
      "TEMPORARILY_UNAVAILABLE",
      `Cannot reach the tracking server at ${this.base}: ${detail} (${tries})`,
      { cause: e },
    );
  }
}
