/**
 * Serving a request handler on a socket with a graceful stop, shared by `mlt server` and the
 * endpoint `mlt run` serves for a run. Deno's `server.shutdown()` cuts off requests whose body is
 * still arriving, so handlers in progress are counted and the stop waits for them (bounded) before
 * shutting down; requests arriving during the stop get a 503, which MLflow's client retries.
 * Connections come from our own accept loop (connections.ts): capped, idle-timed, and never
 * ended by running out of file descriptors.
 */
import { type ConnectionLimits, ConnectionLoop, type ConnectionStats } from "./connections.ts";

/** A request handler as Deno.serve calls it. */
export type ServeHandler = (
  req: Request,
  info: Deno.ServeHandlerInfo<Deno.NetAddr>,
) => Response | Promise<Response>;

/** Where and how to serve. */
export interface ServeOptions {
  /** Address to bind (default 127.0.0.1). */
  hostname?: string;
  /** Port (default 0: a free one). */
  port?: number;
  /** Aborting it starts the graceful stop, as `stop()` does. */
  signal?: AbortSignal;
  /** Longest wait of a stop for requests and responses in progress (ms, default 10000). */
  stopTimeoutMs?: number;
  /** Message of the 503 answered to requests that arrive during a stop. */
  closingMessage?: string;
  /** SO_REUSEPORT (Linux): several processes listen on one port (`mlt server --workers`). */
  reusePort?: boolean;
  /** Called once the socket listens, with the bound address. */
  onListen?: (addr: { hostname: string; port: number }) => void;
  /** Connection cap and idle timeout (connections.ts). */
  limits?: ConnectionLimits;
}

/** A listening server. */
export interface RunningServer {
  hostname: string;
  port: number;
  /** `http://host:port` (IPv6 hosts in brackets). */
  url: string;
  /** Stops gracefully: new requests get 503, those in progress finish, then the socket closes. */
  stop(): Promise<void>;
  /** Settles once the server has stopped (or a stop gave up waiting). */
  finished: Promise<void>;
  /** Counters of the accept loop (open, accepted, evicted, timed out, refused connections). */
  connections: ConnectionStats;
}

/** Default bound on how long a stop waits for requests in progress. */
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;

/** Serves `handler` until `stop()` or the signal; resolves once the socket listens. */
export function startServer(
  handler: ServeHandler,
  opts: ServeOptions = {},
): Promise<RunningServer> {
  const timeoutMs = opts.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
  let active = 0;
  let closing = false;
  let idle: (() => void) | undefined;
  const counted: ServeHandler = async (req, info) => {
    if (closing) {
      return Response.json({
        error_code: "TEMPORARILY_UNAVAILABLE",
        message: opts.closingMessage ?? "The server is shutting down",
      }, { status: 503, headers: { connection: "close", "retry-after": "1" } });
    }
    active++;
    try {
      return await handler(req, info);
    } finally {
      if (--active === 0) idle?.();
    }
  };

  let listener: Deno.Listener;
  try {
    listener = Deno.listen({
      hostname: opts.hostname ?? "127.0.0.1",
      port: opts.port ?? 0,
      reusePort: opts.reusePort,
    } as Deno.TcpListenOptions);
  } catch (e) {
    return Promise.reject(e);
  }
  const loop = new ConnectionLoop(listener, counted, opts.limits);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      closing = true;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((r) => timer = setTimeout(r, timeoutMs));
      try {
        if (active > 0) await Promise.race([new Promise<void>((r) => idle = r), timeout]);
        // The shutdown also waits for response bodies still streaming (downloads), within bounds.
        await Promise.race([loop.shutdown(), timeout]);
      } finally {
        clearTimeout(timer);
      }
    })();
    return stopping;
  };
  if (opts.signal?.aborted) void stop();
  else opts.signal?.addEventListener("abort", () => void stop(), { once: true });
  const { hostname, port } = listener.addr as Deno.NetAddr;
  opts.onListen?.({ hostname, port });
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return Promise.resolve({
    hostname,
    port,
    url: `http://${host}:${port}`,
    stop,
    finished: (async () => {
      await loop.done;
      await stop();
    })(),
    connections: loop.stats,
  });
}
