/**
 * `--auth basic`: every request but the health probe needs valid credentials — HTTP Basic (the
 * Python client's MLFLOW_TRACKING_USERNAME / _PASSWORD) or a bearer token (MLFLOW_TRACKING_TOKEN)
 * — else 401 with `WWW-Authenticate`. Read-only principals may only read: GET, HEAD and the POST
 * searches; anything else is 403. Deny by default: a route needs no rule of its own to be covered.
 */
import type { MiddlewareHandler } from "hono";
import { AsyncLocalStorage } from "node:async_hooks";
import { MltError } from "../errors.ts";
import { clientAddress, parseTrustedProxies, type TrustedProxies } from "./client_ip.ts";
import { CheckGate, FailureCounter } from "./sign_in_gate.ts";
import { jsonResponse } from "./wire.ts";
import {
  checkSecret,
  parseSecret,
  SecretFormatError,
  sha256,
  type StoredSecret,
  timingSafeEqual,
} from "./passwords.ts";

/** Who a request acts for. */
export interface Principal {
  name: string;
  readOnly: boolean;
}

/** A name and its secret, as read from a file or a variable (secrets not yet checked). */
export type Credential = [name: string, secret: string];

/** Settings of `--auth basic`. */
export interface AuthConfig {
  /** Users and their passwords (plain or PBKDF2 hashes). */
  users?: Credential[];
  /** Token labels and bearer tokens. */
  tokens?: Credential[];
  /** Names (users or token labels) that may only read. */
  readOnly?: string[];
  /** Failed sign-ins per user and address a minute before wrong ones get 429 (default 20). */
  maxFailuresPerMinute?: number;
  /** Password hash checks run at once (default 2). */
  maxConcurrentChecks?: number;
  /** Proxies whose X-Forwarded-For names the client (`--trusted-proxies`). */
  trustedProxies?: string[];
  /** Clock (tests). */
  now?: () => number;
}

/** Shortest bearer token accepted in the configuration. */
export const MIN_TOKEN_LENGTH = 16;
const REALM = 'Basic realm="mlt"';
const CACHE_LIMIT = 10_000;

// POSTs that only read: the searches MLflow's client sends as POST.
const READ_POSTS =
  /\/2\.0\/mlflow\/(?:experiments\/search|runs\/search|logged-models\/search|experiments\/search-datasets|registered-models\/get-latest-versions)$/;

/** True when a read-only principal may make this request. */
export function isReadRequest(method: string, path: string): boolean {
  return method === "GET" || method === "HEAD" || (method === "POST" && READ_POSTS.test(path));
}

function configError(message: string): MltError {
  return new MltError("INVALID_PARAMETER_VALUE", message);
}

/**
 * Reads `name:secret` lines (blank lines and `#` comments skipped, surrounding spaces trimmed);
 * `source` names the file in errors, which never quote a secret.
 */
export function parseCredentialLines(text: string, source: string): Credential[] {
  const out: Credential[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    out.push(splitCredential(line, `${source} line ${i + 1}`));
  });
  return out;
}

/** Reads a comma-separated `name:secret,name:secret` list (MLT_AUTH_USERS, MLT_AUTH_TOKENS). */
export function parseCredentialList(value: string, source: string): Credential[] {
  return value.split(",").map((s) => s.trim()).filter(Boolean).map((s, i) =>
    splitCredential(s, `${source} entry ${i + 1}`)
  );
}

function splitCredential(s: string, where: string): Credential {
  const at = s.indexOf(":");
  const name = at < 0 ? "" : s.slice(0, at).trim();
  if (at < 0 || !/^[\w.@+-]{1,128}$/.test(name)) {
    throw configError(
      `Cannot read ${where}: expected "name:secret" with a name of letters, digits, and . _ - @ +`,
    );
  }
  return [name, s.slice(at + 1)];
}

/** Credentials checks and the middleware of `--auth basic`. */
export class Auth {
  readonly #users = new Map<string, StoredSecret>();
  readonly #tokens: { name: string; digest: Uint8Array }[] = [];
  readonly #readOnly: Set<string>;
  readonly #verified = new Set<string>();
  readonly #failures: FailureCounter;
  readonly #gate: CheckGate;
  readonly #proxies: TrustedProxies | undefined;
  readonly #now: () => number;
  #decoy: StoredSecret = { kind: "plain", digest: new Uint8Array(32) };
  // Requests the server makes to itself while serving one (the UI reads artifacts through the
  // REST routes) act for the principal of the outer request.
  readonly #current = new AsyncLocalStorage<Principal>();

  private constructor(cfg: AuthConfig) {
    this.#readOnly = new Set(cfg.readOnly ?? []);
    this.#now = cfg.now ?? Date.now;
    this.#failures = new FailureCounter(cfg.maxFailuresPerMinute ?? 20, this.#now, CACHE_LIMIT);
    this.#gate = new CheckGate(cfg.maxConcurrentChecks ?? 2);
    this.#proxies = cfg.trustedProxies?.length ? trusted(cfg.trustedProxies) : undefined;
  }

  /** Checks and stores the configuration; throws INVALID_PARAMETER_VALUE naming what is wrong. */
  static async create(cfg: AuthConfig): Promise<Auth> {
    const auth = new Auth(cfg);
    for (const [name, secret] of cfg.users ?? []) {
      if (auth.#users.has(name)) throw configError(`User "${name}" is listed twice`);
      try {
        auth.#users.set(name, await parseSecret(secret));
      } catch (e) {
        if (!(e instanceof SecretFormatError)) throw e;
        throw configError(`Cannot use the password of user "${name}": ${e.message}`);
      }
    }
    for (const [name, token] of cfg.tokens ?? []) {
      if (token.length < MIN_TOKEN_LENGTH) {
        throw configError(
          `The token "${name}" is too short: tokens need at least ${MIN_TOKEN_LENGTH} characters`,
        );
      }
      auth.#tokens.push({ name, digest: await sha256(token) });
    }
    if (auth.#users.size === 0 && auth.#tokens.length === 0) {
      throw configError(
        "--auth basic needs at least one user or token (--auth-users, MLT_AUTH_USERS, " +
          "--auth-tokens or MLT_AUTH_TOKENS); there is no default password",
      );
    }
    const known = new Set([...auth.#users.keys(), ...auth.#tokens.map((t) => t.name)]);
    for (const name of auth.#readOnly) {
      if (!known.has(name)) throw configError(`--auth-readonly names unknown user "${name}"`);
    }
    // An unknown user costs as much as the dearest known one, so timing does not tell them apart.
    const cost = (s: StoredSecret) => s.kind === "pbkdf2" ? s.hash.iterations : 0;
    for (const s of auth.#users.values()) if (cost(s) > cost(auth.#decoy)) auth.#decoy = s;
    return auth;
  }

  /** Most password checks that ran at once (tests). */
  get peakChecks(): number {
    return this.#gate.peak;
  }

  /** The principal of the request being served (its runs/create sets `user_id` from it). */
  currentPrincipal(): Principal | undefined {
    return this.#current.getStore();
  }

  /**
   * The principal of a user and password, or undefined. `client` (the address) picks the check's
   * lane in the gate; see sign_in_gate.ts.
   */
  async checkPassword(
    user: string,
    password: string,
    client = "local",
  ): Promise<Principal | undefined> {
    const stored = this.#users.get(user);
    const key = btoa(String.fromCharCode(...await sha256(`${user}\u0000${password}`)));
    if (stored && this.#verified.has(key)) return this.#principal(user);
    const lane = `${user}\u0000${client}`;
    // Over the budget: after every other waiting check, and one a second (the brute-force bound).
    const over = this.#failures.over(lane);
    const low = over || this.#failures.count(client) > 0;
    const delay = over ? this.#failures.lastFailure(lane) + 1000 - this.#now() : 0;
    const matches = await this.#gate.run(
      lane,
      low,
      () => checkSecret(password, stored ?? this.#decoy),
      delay,
    );
    if (!matches || stored === undefined) return undefined;
    // PBKDF2 is slow on purpose; a client sends the same credentials with every request.
    if (stored.kind === "pbkdf2") {
      if (this.#verified.size >= CACHE_LIMIT) this.#verified.clear();
      this.#verified.add(key);
    }
    return this.#principal(user);
  }

  /** The principal of a bearer token, or undefined. */
  async checkToken(token: string): Promise<Principal | undefined> {
    const digest = await sha256(token);
    let name: string | undefined;
    for (const t of this.#tokens) if (timingSafeEqual(digest, t.digest)) name = t.name;
    return name === undefined ? undefined : this.#principal(name);
  }

  #principal(name: string): Principal {
    return { name, readOnly: this.#readOnly.has(name) };
  }

  /** The principal an Authorization header names: undefined when absent, null when invalid. */
  async authenticate(
    header: string | null,
    client?: string,
  ): Promise<Principal | null | undefined> {
    if (header === null) return undefined;
    const sp = header.indexOf(" ");
    const scheme = header.slice(0, sp < 0 ? undefined : sp).toLowerCase();
    const value = sp < 0 ? "" : header.slice(sp + 1).trim();
    if (scheme === "bearer") return (await this.checkToken(value)) ?? null;
    if (scheme !== "basic") return null;
    const pair = basicCredentials(value);
    if (!pair) return null;
    return (await this.checkPassword(pair[0], pair[1], client)) ?? null;
  }

  /** The middleware: paths in `exempt` (health probes) pass without credentials. */
  middleware(exempt: string[]): MiddlewareHandler {
    const open = new Set(exempt);
    return async (c, next) => {
      const url = new URL(c.req.url);
      if (open.has(url.pathname)) return await next();
      const header = c.req.header("authorization") ?? null;
      const peer = (c.env as { remoteAddr?: { hostname?: string } } | undefined)?.remoteAddr
        ?.hostname;
      const client = clientAddress(peer, c.req.header("x-forwarded-for") ?? null, this.#proxies);
      let who: Principal | null | undefined;
      // Only an in-process call without a peer (the UI asking the API through app.request()) is
      // served as the principal of the request that made it. The async context can outlive a
      // request: a dynamic import() run while serving one (a lazily loaded module) leaves Deno's
      // later request callbacks in that context, so it never signs in a request from a socket.
      if (header === null) who = peer === undefined ? this.#current.getStore() : undefined;
      else {
        who = await this.authenticate(header, client);
        if (who === null) {
          // Counted per user (or token) and address, and per address for the check's priority:
          // failures for one user lock out neither other users nor the right password.
          const lane = `${signInName(header)}\u0000${client}`;
          const over = this.#failures.over(lane);
          this.#failures.fail(lane);
          this.#failures.fail(client);
          if (over) {
            const res = jsonResponse({
              error_code: "REQUEST_LIMIT_EXCEEDED",
              message: "Too many failed sign-ins for this user from this address; " +
                "try again in a minute",
            }, 429);
            res.headers.set("Retry-After", "60");
            return res;
          }
        }
      }
      if (!who) {
        const res = jsonResponse({
          error_code: "UNAUTHENTICATED",
          message: header === null
            ? "Authentication required"
            : "Invalid credentials: a wrong user name, password or token",
        }, 401);
        res.headers.set("WWW-Authenticate", REALM);
        return res;
      }
      if (who.readOnly && !isReadRequest(c.req.method, url.pathname)) {
        return jsonResponse({
          error_code: "PERMISSION_DENIED",
          message: `Permission denied: "${who.name}" may only read`,
        }, 403);
      }
      await this.#current.run(who, next);
    };
  }
}

// User and password of a Basic header's value, or null.
function basicCredentials(value: string): [string, string] | null {
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    text = new TextDecoder("latin1").decode(bytes); // Python's requests encodes latin-1
  }
  const at = text.indexOf(":");
  return at < 0 ? null : [text.slice(0, at), text.slice(at + 1)];
}

// Who a failed header tried to sign in as: the Basic user, or one shared name for tokens.
function signInName(header: string): string {
  const sp = header.indexOf(" ");
  if (header.slice(0, sp < 0 ? undefined : sp).toLowerCase() !== "basic") return "\u0001token";
  return basicCredentials(header.slice(sp + 1).trim())?.[0] ?? "\u0001malformed";
}

function trusted(list: string[]): TrustedProxies {
  try {
    return parseTrustedProxies(list);
  } catch (e) {
    throw configError((e as Error).message);
  }
}
