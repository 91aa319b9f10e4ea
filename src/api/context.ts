/** What every resource's routes share: the store, the server's options, and request decoding. */
import type { Context, Hono } from "hono";
import { invalidParam, MltError } from "../errors.ts";
import type { ModelRegistryStore } from "../store/registry.ts";
import type { TrackingStore } from "../store/store.ts";
import { HttpError, parseJsonBody, readCapped } from "./body.ts";
import { parseWithSources } from "./py_json.ts";
import type { S3Access } from "./s3_access.ts";
import { type Decoded, decodeRequest, type Endpoint, jsonResponse, queryToJson } from "./wire.ts";

/** Resolved server options the handlers need. */
export interface ApiContext {
  store: TrackingStore;
  /** The model registry, when the server has one. */
  registry?: ModelRegistryStore;
  /** Whether the `mlflow-artifacts` proxy is on. */
  serveArtifacts: boolean;
  /** Absolute directory or `s3://` URI behind `mlflow-artifacts:` URIs. */
  artifactsDestination: string;
  /** S3 access and the `s3://` roots it may serve, when the server has S3 settings. */
  s3?: S3Access;
  /** Lifetime of presigned download URLs (MLFLOW_PRESIGNED_DOWNLOAD_URL_TTL_SECONDS), in s. */
  presignedDownloadSeconds: number;
  /** Absolute directories that local (`file:`) artifact locations may point into. */
  localArtifactRoots: string[];
  /** Cap on JSON request bodies, in bytes. */
  maxJsonBytes: number;
  /** Cap on one artifact upload, in bytes. */
  maxArtifactBytes: number;
  /** How long a JSON body may take to arrive, and an upload may go without a byte (ms). */
  bodyTimeoutMs?: number;
  /** Under `--auth basic`: the signed-in name of the request being served. */
  signedIn?: () => string | undefined;
}

const JSON_TYPES = ["application/json"];

/** Checks MLflow's JSON-only rule for POST/PUT/PATCH requests. */
export function requireJson(req: Request): void {
  const ct = req.headers.get("content-type");
  if (ct === null) throw invalidParam("Bad Request. Content-Type header is missing.");
  if (!JSON_TYPES.includes(ct.split(";")[0].trim().toLowerCase())) {
    throw invalidParam("Bad Request. Content-Type must be one of ['application/json'].");
  }
}

/**
 * Reads and decodes an endpoint's request: GET query parameters, else the JSON body (a DELETE
 * may have none). `pathFields` (ids from the route's path) win over the same fields of the body.
 */
export async function readRequest(
  c: Context,
  ctx: ApiContext,
  endpoint: Endpoint,
  pathFields: Record<string, string> = {},
): Promise<Decoded> {
  const req = c.req.raw;
  let raw: Record<string, unknown> = {};
  let body: Uint8Array | undefined;
  const query = new URL(req.url).searchParams;
  const optional = req.method === "GET" || req.method === "DELETE";
  if (req.method === "GET" && query.size > 0) raw = queryToJson(endpoint, query);
  else if (!optional || (req.body !== null && req.headers.has("content-type"))) {
    requireJson(req);
    body = await readCapped(req, ctx.maxJsonBytes, ctx.bodyTimeoutMs);
    raw = parseJsonBody(body);
  }
  try {
    return decodeRequest(endpoint, { ...raw, ...pathFields });
  } catch (e) {
    if (body === undefined || !(e instanceof MltError)) throw e;
    // JSON.parse forgot how numbers were written (`9.0` vs `9`); MLflow's message names them as
    // Python read them, so decode once more from the text (only on this error path).
    decodeRequest(endpoint, { ...parseJsonBody(body, parseWithSources), ...pathFields });
    throw e;
  }
}

type Method = "GET" | "POST" | "PATCH" | "DELETE";

/**
 * Registers one endpoint: `handle` gets the decoded request and returns the response fields
 * (already in wire form). Other methods on the same path answer 405.
 */
export function endpoint(
  r: Hono,
  ctx: ApiContext,
  methods: Method[],
  name: Endpoint,
  handle: (q: Decoded, c: Context) => Promise<Record<string, unknown> | Response>,
): void {
  const path = "/" + name;
  const h = async (c: Context) => {
    const out = await handle(await readRequest(c, ctx, name), c);
    return out instanceof Response ? out : jsonResponse(out);
  };
  for (const m of methods) r.on(m, path, h);
  r.all(path, () => {
    throw new HttpError("BAD_REQUEST", `Method not allowed for endpoint '${name}'`, 405);
  });
}
