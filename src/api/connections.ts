/**
 * The accept loop under `startServer`: Deno.serve's own loop ends the server for good on the first
 * accept error (EMFILE with ~1,000 idle sockets), and has neither a connection cap nor an idle
 * timeout. Here each connection accepted from `Deno.listen` is handed to Deno's HTTP engine one
 * by one (the same per-connection server Deno's node:http uses), so the loop can: back off and
 * retry on EMFILE/ENFILE, keep at most `maxConnections` open (evicting the longest-idle one, or
 * answering 503 when all are busy), and close connections idle for `idleTimeoutMs` — which also
 * ends sockets that never finish their request head.
 */
import type { ServeHandler } from "./serve.ts";

/** Limits of the accept loop. */
export interface ConnectionLimits {
  /** Most open connections (default 1000, and never more than the open-file limit allows). */
  maxConnections?: number;
  /** A connection with no request in progress this long is closed (ms, default 30000). */
  idleTimeoutMs?: number;
  /** Called with a one-line warning (default: console.error, at most every 10 s per kind). */
  warn?: (message: string) => void;
}

/** Default cap on open connections. */
export const DEFAULT_MAX_CONNECTIONS = 1000;
/** Default idle (keep-alive and request-head) timeout. */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
// File descriptors kept free for the store, artifacts and SQLite when the cap is derived.
const FD_RESERVE = 128;

interface PerConnServer {
  finished: Promise<void>;
  shutdown(): Promise<void>;
}
type ServeOnConnection = (
  conn: Deno.Conn,
  signal: AbortSignal | undefined,
  handler: ServeHandler,
  onError: (e: unknown) => Response,
  onListen: () => void,
) => PerConnServer;

// Deno's per-connection HTTP server (hyper, the same fast path as Deno.serve). Internal, so the
// tests pin it: a Deno upgrade without it fails them rather than the server at run time.
function serveOnConnection(): ServeOnConnection {
  const internal = (Deno as unknown as Record<symbol, Record<string, unknown>>)[
    (Deno as unknown as { internal: symbol }).internal
  ];
  const fn = internal?.serveHttpOnConnection;
  if (typeof fn !== "function") {
    throw new Error("This Deno has no per-connection HTTP server (serveHttpOnConnection)");
  }
  return fn as ServeOnConnection;
}

/** The soft limit on open files of this process (Linux), or undefined. */
export function openFileLimit(): number | undefined {
  try {
    const line = Deno.readTextFileSync("/proc/self/limits").split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = line?.split(/\s{2,}/)[1];
    return soft && /^\d+$/.test(soft) ? Number(soft) : undefined;
  } catch {
    return undefined;
  }
}

/** The connection cap used: the option, lowered to leave room in the open-file limit. */
export function connectionCap(wanted = DEFAULT_MAX_CONNECTIONS, fdLimit = openFileLimit()): number {
  if (fdLimit === undefined) return wanted;
  return Math.max(8, Math.min(wanted, Math.floor((fdLimit - FD_RESERVE) * 0.9)));
}

interface Conn {
  server: PerConnServer;
  /** Requests whose response is not yet fully sent. */
  busy: number;
  idleSince: number;
  closing: boolean;
}

/** Live counters of the accept loop (tests, the stress script). */
export interface ConnectionStats {
  open: number;
  accepted: number;
  evicted: number;
  timedOut: number;
  refused: number;
  acceptErrors: number;
}

const BUSY_503 = new TextEncoder().encode(
  "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\n" +
    "Content-Type: application/json\r\nContent-Length: 86\r\n\r\n" +
    '{"error_code":"TEMPORARILY_UNAVAILABLE","message":"Too many connections; retry later"}',
);

/** Accepts connections from `listener` and serves `handler` on each, within the limits. */
export class ConnectionLoop {
  readonly stats: ConnectionStats = {
    open: 0,
    accepted: 0,
    evicted: 0,
    timedOut: 0,
    refused: 0,
    acceptErrors: 0,
  };
  readonly cap: number;
  readonly #conns = new Map<PerConnServer, Conn>(); // insertion order = least recently active first
  readonly #listener: Deno.Listener;
  readonly #handler: ServeHandler;
  readonly #idleMs: number;
  readonly #warn: (m: string) => void;
  readonly #serveOn = serveOnConnection();
  readonly #warned = new Map<string, number>();
  #sweeping = true;
  #stopped = false;
  /** Settles when the listener is closed and the loop has ended. */
  readonly done: Promise<void>;

  constructor(listener: Deno.Listener, handler: ServeHandler, limits: ConnectionLimits = {}) {
    this.#listener = listener;
    this.#handler = handler;
    this.cap = connectionCap(limits.maxConnections);
    this.#idleMs = limits.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.#warn = limits.warn ?? ((m) => console.error(`warning: ${m}`));
    this.#sweepEvery(Math.min(1000, this.#idleMs / 4));
    this.done = this.#run();
  }

  async #run(): Promise<void> {
    let backoff = 0;
    while (!this.#stopped) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
        backoff = 0;
      } catch (e) {
        if (this.#stopped || e instanceof Deno.errors.BadResource) break;
        if (e instanceof Deno.errors.Interrupted) break;
        this.stats.acceptErrors++;
        const code = (e as { code?: string }).code ?? "";
        if (code === "EMFILE" || code === "ENFILE") {
          // Out of descriptors: free some held by idle sockets, then wait before trying again.
          this.#warnEvery(
            code,
            `cannot accept connections (${(e as Error).message}); ` +
              `${this.stats.open} open, closing idle ones and retrying`,
          );
          this.#evictIdle(Math.max(1, Math.ceil(this.#conns.size / 10)));
        } else this.#warnEvery("accept", `accept failed: ${(e as Error).message}`);
        backoff = Math.min(1000, Math.max(5, backoff * 2));
        await new Promise((r) => setTimeout(r, backoff));
        continue;
      }
      this.#admit(conn);
    }
    this.#sweeping = false;
  }

  // AbortSignal.timeout, not setInterval: Deno's global timers load node:timers (Node
  // compatibility: ~5 ms of CPU and ~2.5 MB at every start), and this timer keeps no process alive.
  #sweepEvery(ms: number): void {
    AbortSignal.timeout(ms).onabort = () => {
      if (!this.#sweeping) return;
      this.#sweep();
      this.#sweepEvery(ms);
    };
  }

  #admit(conn: Deno.Conn): void {
    if (this.#conns.size >= this.cap && !this.#evictIdle(1)) {
      // Every connection has a request in progress: this one is answered 503 and closed.
      this.stats.refused++;
      conn.write(BUSY_503).catch(() => {}).finally(() => conn.close());
      return;
    }
    this.stats.accepted++;
    const entry: Conn = { server: undefined!, busy: 0, idleSince: Date.now(), closing: false };
    const handler: ServeHandler = (req, info) => {
      entry.busy++;
      // Re-inserting keeps the map ordered by last activity, so eviction finds the oldest first.
      if (this.#conns.delete(entry.server)) this.#conns.set(entry.server, entry);
      const done = () => {
        if (--entry.busy === 0) entry.idleSince = Date.now();
      };
      // Busy until the response is sent: downloads and live streams must not count as idle.
      info.completed.then(done, done);
      return this.#handler(req, info);
    };
    try {
      entry.server = this.#serveOn(conn, undefined, handler, onError, () => {});
    } catch (e) {
      conn.close();
      this.#warnEvery("serve", `cannot serve a connection: ${(e as Error).message}`);
      return;
    }
    const server = entry.server;
    this.#conns.set(server, entry);
    this.stats.open = this.#conns.size;
    server.finished.catch(() => {}).finally(() => {
      this.#conns.delete(server);
      this.stats.open = this.#conns.size;
    });
  }

  // Closes up to `n` idle connections, longest idle first; true when at least one was closed.
  #evictIdle(n: number): boolean {
    let closed = 0;
    for (const c of this.#conns.values()) {
      if (closed >= n) break;
      if (c.busy > 0 || c.closing) continue;
      this.#close(c);
      this.stats.evicted++;
      closed++;
    }
    return closed > 0;
  }

  #close(c: Conn): void {
    c.closing = true;
    // No request in progress, so the graceful shutdown closes the socket at once.
    this.#conns.delete(c.server);
    this.stats.open = this.#conns.size;
    c.server.shutdown().catch(() => {});
  }

  #sweep(): void {
    const limit = Date.now() - this.#idleMs;
    for (const c of [...this.#conns.values()]) {
      if (c.busy === 0 && !c.closing && c.idleSince <= limit) {
        this.#close(c);
        this.stats.timedOut++;
      }
    }
  }

  #warnEvery(kind: string, message: string): void {
    const now = Date.now();
    if (now - (this.#warned.get(kind) ?? -Infinity) < 10_000) return;
    this.#warned.set(kind, now);
    this.#warn(message);
  }

  /** Stops accepting; connections stay open until `shutdown`. */
  closeListener(): void {
    this.#stopped = true;
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
  }

  /** Graceful shutdown of every connection: waits for responses in progress. */
  async shutdown(): Promise<void> {
    this.closeListener();
    this.#sweeping = false;
    await Promise.all([...this.#conns.keys()].map((s) => s.shutdown().catch(() => {})));
  }
}

function onError(e: unknown): Response {
  console.error(e);
  return Response.json({ error_code: "INTERNAL_ERROR", message: "Internal server error" }, {
    status: 500,
  });
}
