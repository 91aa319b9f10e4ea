/**
 * One S3 request: the object URL (path-style for a custom endpoint), a SigV4 signature from
 * aws4fetch, a deadline for the answer and an idle limit on streamed bodies (never a hang), a few
 * retries for requests that can be sent again, and S3's XML errors turned into MltErrors whose
 * messages never carry a credential.
 */
import { AwsClient } from "aws4fetch";
import { type ErrorCode, MltError } from "../../errors.ts";
import { redact, type S3Config } from "./s3_config.ts";
import { sendBuffer } from "./s3_node_send.ts";

/** One request to S3. */
export interface S3Request {
  method: "GET" | "PUT" | "POST" | "DELETE" | "HEAD";
  bucket: string;
  /** The object key ("" or absent: the bucket itself). */
  key?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** In memory, so a retry can send it again. */
  body?: Uint8Array;
  /** Statuses that are answers, not errors (e.g. 404 for a HEAD that probes). */
  accept?: number[];
}

// Each segment percent-encoded as SigV4's canonical form wants it (RFC 3986 unreserved only).
function encodeKey(key: string): string {
  return key.split("/").map((s) =>
    encodeURIComponent(s).replace(
      /[!'()*]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    )
  ).join("/");
}

const RETRIES = 3;
/** Bodies from this size on are sent by s3_node_send.ts. */
const NODE_BODY_BYTES = 1024 * 1024;

/** An S3 endpoint with one set of settings. */
export class S3Client {
  readonly config: S3Config;
  #aws: AwsClient | undefined;
  #http: Deno.HttpClient | undefined;
  #ca: string | undefined;

  constructor(config: S3Config) {
    this.config = config;
    const c = config.credentials;
    if (c) {
      this.#aws = new AwsClient({
        accessKeyId: c.accessKeyId,
        secretAccessKey: c.secretAccessKey,
        sessionToken: c.sessionToken,
        service: "s3",
        region: config.region,
        retries: 0,
      });
    }
    if (config.caBundle) {
      this.#ca = Deno.readTextFileSync(config.caBundle);
      this.#http = Deno.createHttpClient({ caCerts: [this.#ca] });
    }
  }

  /** Where S3 is, for messages: the endpoint or AWS's regional host. */
  get endpointName(): string {
    return this.config.endpoint ?? `https://s3.${this.config.region}.amazonaws.com`;
  }

  /** The URL of a bucket or object. */
  url(bucket: string, key = "", query: Record<string, string> = {}): URL {
    const { endpoint, region, pathStyle } = this.config;
    const base = new URL(endpoint ?? `https://s3.${region}.amazonaws.com`);
    // A bucket with dots breaks the TLS name of virtual hosts: path style for it, as boto3.
    if (pathStyle || bucket.includes(".")) base.pathname = `/${bucket}/${encodeKey(key)}`;
    else {
      base.hostname = `${bucket}.${base.hostname}`;
      base.pathname = `/${encodeKey(key)}`;
    }
    for (const [k, v] of Object.entries(query)) base.searchParams.set(k, v);
    return base;
  }

  /** A presigned URL for `method` on an object, valid for `seconds`. */
  async presign(
    method: "GET" | "PUT",
    bucket: string,
    key: string,
    query: Record<string, string>,
    seconds: number,
  ): Promise<string> {
    const url = this.url(bucket, key, { ...query, "X-Amz-Expires": String(seconds) });
    if (!this.#aws) return url.toString(); // unsigned: a public bucket
    const signed = await this.#aws.sign(url.toString(), { method, aws: { signQuery: true } });
    return signed.url;
  }

  /** Sends one request and returns S3's answer; non-2xx answers become MltErrors. */
  async send(r: S3Request): Promise<Response> {
    const what = `${r.method} s3://${r.bucket}${r.key ? `/${r.key}` : ""}`;
    for (let attempt = 1;; attempt++) {
      let res: Response;
      try {
        res = await this.#once(r);
      } catch (e) {
        if (attempt < RETRIES && !(e instanceof MltError && e.code === "DEADLINE_EXCEEDED")) {
          await backoff(attempt);
          continue;
        }
        throw this.#unreachable(what, e);
      }
      if (res.ok || r.accept?.includes(res.status)) return res;
      if (res.status >= 500 && attempt < RETRIES) {
        await res.body?.cancel();
        await backoff(attempt);
        continue;
      }
      throw await this.#failure(what, res);
    }
  }

  async #once(r: S3Request): Promise<Response> {
    const url = this.url(r.bucket, r.key ?? "", r.query ?? {});
    // A large body (an upload part) goes through node's client, which does not copy it.
    const viaNode = (r.body?.byteLength ?? 0) >= NODE_BODY_BYTES;
    const init: RequestInit = {
      method: r.method,
      headers: r.headers,
      body: viaNode ? undefined : r.body as Uint8Array<ArrayBuffer> | undefined,
    };
    // S3 signs no payload here (UNSIGNED-PAYLOAD), so the body can be left out of the signing.
    const req = this.#aws ? await this.#aws.sign(url.toString(), init) : new Request(url, init);
    const ctl = new AbortController();
    const ms = this.config.timeoutMs;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctl.abort();
    }, ms);
    try {
      const res = viaNode
        ? await sendBuffer(req.url, r.method, req.headers, r.body!, ctl.signal, this.#ca)
        : await fetch(req, { signal: ctl.signal, client: this.#http });
      clearTimeout(timer);
      return res.body ? new Response(idleLimited(res.body, ms, ctl), res) : res;
    } catch (e) {
      clearTimeout(timer);
      if (timedOut) {
        throw new MltError(
          "DEADLINE_EXCEEDED",
          `S3 at ${this.endpointName} did not answer within ${ms / 1000} s`,
        );
      }
      throw e;
    }
  }

  #unreachable(what: string, e: unknown): MltError {
    if (e instanceof MltError) return e;
    // Deno's fetch says only "fetch failed"; the reason (a refused certificate…) is the cause.
    const cause = (e as Error).cause instanceof Error
      ? `: ${((e as Error).cause as Error).message}`
      : "";
    let detail = redact(((e as Error).message ?? String(e)) + cause, this.config);
    if (/certificate|tls|ssl/i.test(detail)) {
      detail += this.config.ignoreTls
        ? " (MLFLOW_S3_IGNORE_TLS is set, but mlt always checks certificates: trust the " +
          "endpoint's CA with AWS_CA_BUNDLE=<pem file>)"
        : " (trust the endpoint's CA with AWS_CA_BUNDLE=<pem file>)";
    }
    return new MltError(
      "TEMPORARILY_UNAVAILABLE",
      `Cannot reach S3 at ${this.endpointName} for ${what}: ${detail}`,
    );
  }

  async #failure(what: string, res: Response): Promise<MltError> {
    const text = await res.text().catch(() => "");
    const tag = (name: string) =>
      new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)?.[1]?.trim() ?? "";
    const code = tag("Code") || `HTTP ${res.status}`;
    const detail = redact(tag("Message") || res.statusText || "no details", this.config);
    return new MltError(errorCode(code, res.status), `S3 ${what} failed: ${code}: ${detail}`);
  }
}

// S3's error codes in MLflow's vocabulary; a failing or overloaded S3 is "try again later".
function errorCode(s3Code: string, status: number): ErrorCode {
  switch (s3Code) {
    case "NoSuchBucket":
    case "NoSuchKey":
    case "NoSuchUpload":
      return "RESOURCE_DOES_NOT_EXIST";
    case "InvalidAccessKeyId":
    case "SignatureDoesNotMatch":
    case "ExpiredToken":
    case "InvalidToken":
      return "UNAUTHENTICATED";
    case "AccessDenied":
      return "PERMISSION_DENIED";
  }
  if (status === 404) return "RESOURCE_DOES_NOT_EXIST";
  if (status === 403) return "PERMISSION_DENIED";
  if (status === 401) return "UNAUTHENTICATED";
  if (status === 429 || status >= 500) return "TEMPORARILY_UNAVAILABLE";
  return "INVALID_PARAMETER_VALUE";
}

function backoff(attempt: number): Promise<void> {
  return new Promise((r) => setTimeout(r, 200 * 4 ** (attempt - 1)));
}

// A response body that fails (instead of hanging) when S3 sends nothing for `ms`.
function idleLimited(
  body: ReadableStream<Uint8Array>,
  ms: number,
  ctl: AbortController,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const timer = setTimeout(() => ctl.abort(), ms);
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch {
        controller.error(
          new MltError("DEADLINE_EXCEEDED", `S3 sent no data for ${ms / 1000} s; download cut`),
        );
      } finally {
        clearTimeout(timer);
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
