/**
 * Browser-facing defences, on by default: a Host allow-list against DNS rebinding, an Origin
 * check on every state-changing request, CORS for listed origins, and framing/sniffing headers.
 */
import type { MiddlewareHandler } from "hono";
import { HttpError } from "../errors.ts";

/** Options of the security middleware (the server's `--allowed-hosts`, `--cors-allowed-origins`). */
export interface SecurityOptions {
  /** False turns every check and header off. */
  enabled?: boolean;
  /** Extra Host patterns (fnmatch `*`, `?`); `*` admits any host. */
  allowedHosts?: string[];
  /** Origins allowed to change state and read responses cross-origin; `*` admits any. */
  corsAllowedOrigins?: string[];
  /** `SAMEORIGIN` (default), `DENY` or `NONE` (header omitted). */
  xFrameOptions?: string;
  /** Paths exempt from the Host check (health probes). */
  hostExempt?: string[];
}

const LOCAL_HOSTS = ["localhost", "127.0.0.1", "[::1]", "0.0.0.0"];
const LOCAL_HOSTNAMES = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);
const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** fnmatch-style pattern (`*`, `?`, `[…]`) to an anchored, case-insensitive regex. */
export function globToRegExp(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "*") re += ".*";
    else if (ch === "?") re += ".";
    else if (ch === "[" && pattern.indexOf("]", i + 2) > 0) {
      const end = pattern.indexOf("]", i + 2);
      re += "[" + pattern.slice(i + 1, end).replace(/\\/g, "\\\\") + "]";
      i = end;
    } else re += ch.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  return new RegExp(`^${re}$`, "i");
}

function matcher(patterns: string[]): (s: string) => boolean {
  if (patterns.includes("*")) return () => true;
  const exact = new Set(patterns.filter((p) => !/[*?[]/.test(p)).map((p) => p.toLowerCase()));
  const globs = patterns.filter((p) => /[*?[]/.test(p)).map(globToRegExp);
  return (s) => exact.has(s.toLowerCase()) || globs.some((g) => g.test(s));
}

function hostname(hostHeader: string): string {
  return hostHeader.startsWith("[")
    ? hostHeader.slice(0, hostHeader.indexOf("]") + 1)
    : hostHeader.replace(/:\d*$/, "");
}

// Deno builds the request URL from the Host header; one that is no host ("[::1]evil.com",
// "localhost:80:80") makes an URL no route can parse. A client mistake: 400, before anything else.
function parsedUrl(req: Request): URL {
  try {
    return new URL(req.url);
  } catch {
    throw new HttpError("BAD_REQUEST", "Invalid Host header: not a host name and port", 400);
  }
}

/** The security middleware for the whole app. */
export function securityMiddleware(opts: SecurityOptions = {}): MiddlewareHandler {
  if (opts.enabled === false) {
    return async (c, next) => {
      parsedUrl(c.req.raw);
      await next();
    };
  }
  const extraHosts = opts.allowedHosts ?? [];
  const hostOk = matcher(extraHosts);
  const origins = opts.corsAllowedOrigins ?? [];
  const originListed = matcher(origins);
  const exempt = new Set(opts.hostExempt ?? ["/health", "/version"]);
  const frame = (opts.xFrameOptions ?? "SAMEORIGIN").toUpperCase();

  return async (c, next) => {
    const req = c.req.raw;
    const url = parsedUrl(req);
    const host = req.headers.get("host") ?? url.host;
    if (!exempt.has(url.pathname)) {
      const name = hostname(host);
      if (!LOCAL_HOSTS.includes(name.toLowerCase()) && !hostOk(host) && !hostOk(name)) {
        throw new HttpError(
          "PERMISSION_DENIED",
          "Invalid Host header - possible DNS rebinding attack detected",
          403,
        );
      }
    }
    const origin = req.headers.get("origin");
    let corsAllowed = false;
    if (origin !== null) {
      let sameOrLocal = false;
      try {
        const o = new URL(origin);
        sameOrLocal = o.host.toLowerCase() === host.toLowerCase() ||
          LOCAL_HOSTNAMES.has(o.hostname.toLowerCase());
      } catch {
        // "null" and garbage origins are cross-origin.
      }
      corsAllowed = sameOrLocal || originListed(origin);
      if (!corsAllowed && STATE_CHANGING.has(req.method)) {
        throw new HttpError("PERMISSION_DENIED", "Cross-origin request blocked", 403);
      }
    }
    if (req.method === "OPTIONS" && origin !== null && corsAllowed) {
      c.res = new Response(null, { status: 204 });
    } else await next();
    const h = c.res.headers;
    h.set("X-Content-Type-Options", "nosniff");
    if (frame !== "NONE") h.set("X-Frame-Options", frame);
    if (origin !== null && corsAllowed) {
      h.set("Access-Control-Allow-Origin", origin);
      h.set("Access-Control-Allow-Credentials", "true");
      h.set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS");
      h.set(
        "Access-Control-Allow-Headers",
        req.headers.get("access-control-request-headers") ?? "Content-Type, Authorization",
      );
      h.append("Vary", "Origin");
    }
  };
}
