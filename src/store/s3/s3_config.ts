/**
 * S3 settings as MLflow's Python client reads them (`MLFLOW_S3_ENDPOINT_URL`, `AWS_*`,
 * `MLFLOW_S3_IGNORE_TLS`, `MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE`) and `s3://bucket/prefix` URIs.
 * Pure: the caller passes the environment in (main.ts and the server read it once).
 */
import { invalidParam } from "../../errors.ts";
import { validatePath } from "../artifact_path.ts";

/** Signing credentials; absent means unsigned requests (a public bucket). */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** How to reach S3 (or an S3-compatible server). */
export interface S3Config {
  /** `MLFLOW_S3_ENDPOINT_URL` (no trailing slash); absent: AWS's regional endpoint. */
  endpoint?: string;
  region: string;
  credentials?: S3Credentials;
  /** Path-style addressing (`<endpoint>/<bucket>/<key>`): the rule for a custom endpoint. */
  pathStyle: boolean;
  /** `MLFLOW_S3_IGNORE_TLS`: mlt cannot skip certificate checks per connection; see docs. */
  ignoreTls: boolean;
  /** `AWS_CA_BUNDLE`: a PEM file of extra certificate authorities for an https endpoint. */
  caBundle?: string;
  /** Time allowed for S3 to answer a request's headers (ms). */
  timeoutMs: number;
}

/** Default wait for S3's answer: long enough for a slow store, short enough never to hang. */
export const DEFAULT_S3_TIMEOUT_MS = 60_000;

const truthy = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());

/** The S3 settings of an environment (variables of MLflow's Python client and boto3). */
export function s3ConfigFromEnv(env: (name: string) => string | undefined): S3Config {
  const get = (k: string) => {
    const v = env(k);
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  };
  const endpoint = get("MLFLOW_S3_ENDPOINT_URL");
  if (endpoint !== undefined && !/^https?:\/\/[^/]+/i.test(endpoint)) {
    throw invalidParam(
      `Invalid MLFLOW_S3_ENDPOINT_URL "${endpoint}": expected an http(s) URL such as ` +
        "http://127.0.0.1:9000",
    );
  }
  const id = get("AWS_ACCESS_KEY_ID");
  const secret = get("AWS_SECRET_ACCESS_KEY");
  if ((id === undefined) !== (secret === undefined)) {
    throw invalidParam(
      "Incomplete S3 credentials: set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither",
    );
  }
  const style = (get("MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE") ?? "auto").toLowerCase();
  const timeout = Number(get("MLT_S3_TIMEOUT") ?? "");
  return {
    endpoint: endpoint?.replace(/\/+$/, ""),
    region: get("AWS_DEFAULT_REGION") ?? get("AWS_REGION") ?? "us-east-1",
    credentials: id === undefined ? undefined : {
      accessKeyId: id,
      secretAccessKey: secret!,
      sessionToken: get("AWS_SESSION_TOKEN"),
    },
    // boto3 keeps path style for a custom endpoint unless told "virtual".
    pathStyle: style === "path" || (style !== "virtual" && endpoint !== undefined),
    ignoreTls: truthy(env("MLFLOW_S3_IGNORE_TLS")),
    caBundle: get("AWS_CA_BUNDLE"),
    timeoutMs: timeout > 0 ? timeout * 1000 : DEFAULT_S3_TIMEOUT_MS,
  };
}

/** A bucket and the key prefix under it ("" = the whole bucket), both checked. */
export interface S3Location {
  bucket: string;
  prefix: string;
}

// S3's bucket naming rules (lower case, digits, dots, hyphens; 3 to 63 characters).
const BUCKET = /^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$/;

/** True for `s3://…` URIs (any case of the scheme). */
export function isS3Uri(uri: string): boolean {
  return /^s3:\/\//i.test(uri);
}

/**
 * Splits `s3://bucket/some/prefix` into its bucket and canonical prefix. The prefix goes through
 * the one path validator: no `..`, no absolute or `%`-encoded tricks, no empty segments kept.
 */
export function parseS3Uri(uri: string): S3Location {
  const m = /^s3:\/\/([^/?#]*)(\/[^?#]*)?$/i.exec(uri);
  if (!m || !BUCKET.test(m[1])) {
    throw invalidParam(
      `Invalid S3 URI "${uri}": expected s3://<bucket>/<prefix> with a bucket name of 3 to 63 ` +
        "lower-case letters, digits, dots and hyphens",
    );
  }
  try {
    return { bucket: m[1], prefix: validatePath((m[2] ?? "").replace(/^\/+/, ""), 0) };
  } catch {
    throw invalidParam(`Invalid S3 URI "${uri}": its key prefix has unsafe path segments`);
  }
}

/** `s3://bucket/prefix` of a location. */
export function s3UriOf(loc: S3Location): string {
  return `s3://${loc.bucket}${loc.prefix ? `/${loc.prefix}` : ""}`;
}

/** True when `inner` lies in `outer` (same bucket, prefix at a `/` boundary). */
export function s3Within(outer: S3Location, inner: S3Location): boolean {
  if (outer.bucket !== inner.bucket) return false;
  return outer.prefix === "" || inner.prefix === outer.prefix ||
    inner.prefix.startsWith(outer.prefix + "/");
}

/** `text` with every credential of `config` replaced by `***` (for errors and logs). */
export function redact(text: string, config: S3Config): string {
  const c = config.credentials;
  let out = text;
  for (const secret of [c?.secretAccessKey, c?.sessionToken, c?.accessKeyId]) {
    if (secret && secret.length >= 4) out = out.split(secret).join("***");
  }
  // Signatures of presigned URLs that an S3 error may echo.
  return out.replace(/(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s"<]+/gi, "$1***");
}
