/**
 * The servers running on this machine: `mlt server` / `mlt ui` each record `{pid, url, store}` in
 * `<MLT_HOME>/servers/<pid>.json` (default `~/.mlt`) while they serve, so `mlt run` can link its
 * run to a live UI on the same store instead of guessing a port. Best effort: a home that cannot
 * be written only means no link.
 */
import { join } from "../posix_path.ts";
import { absoluteStoreUri, displayUri } from "../store/open_uri.ts";
import { type CliContext, mltHome } from "./context.ts";

/** One running server, as its state file says. */
export interface LiveServer {
  pid: number;
  /** Where its web UI answers (static prefix included). */
  url: string;
  /** Its tracking store, as an absolute URI (see `storeKey`). */
  store: string;
}

/**
 * A store URI in one comparable spelling: absolute paths, `file://` for folders, a database
 * password masked (the record is a file on disk).
 */
export function storeKey(uri: string, cwd: string): string {
  return displayUri(absoluteStoreUri(uri, cwd));
}

// A link a browser on this machine can open: a wildcard bind is reached through loopback.
function browsable(url: string): string {
  return url.replace("//0.0.0.0:", "//127.0.0.1:").replace("//[::]:", "//[::1]:");
}

/**
 * Records this process's server; returns the function that removes the record (call it when the
 * server stops). A killed server leaves its file behind; `findServer` skips and removes it.
 */
export async function recordServer(
  ctx: CliContext,
  server: { url: string; store: string },
): Promise<() => Promise<void>> {
  const home = mltHome(ctx);
  if (!home) return () => Promise.resolve();
  const dir = join(home, "servers");
  const file = join(dir, `${Deno.pid}.json`);
  const entry: LiveServer = { pid: Deno.pid, url: browsable(server.url), store: server.store };
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    // Written whole, then renamed: a reader never sees half a record.
    const tmp = `${file}.tmp`;
    await Deno.writeTextFile(tmp, JSON.stringify(entry) + "\n", { mode: 0o600 });
    await Deno.rename(tmp, file);
  } catch {
    return () => Promise.resolve();
  }
  return () => Deno.remove(file).catch(() => {});
}

/** The URL of a live server on `store` (a `storeKey`), answering `/health`; else undefined. */
export async function findServer(ctx: CliContext, store: string): Promise<string | undefined> {
  const home = mltHome(ctx);
  if (!home) return undefined;
  const dir = join(home, "servers");
  // Loaded here, not with the module: its node:process costs a starting server ~10 ms.
  const { processAlive } = await import("./stale.ts");
  const found: LiveServer[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (!/^\d+\.json$/.test(e.name)) continue;
      let s: LiveServer;
      try {
        s = JSON.parse(await Deno.readTextFile(join(dir, e.name)));
      } catch {
        continue; // being replaced, or not ours
      }
      if (!processAlive(s.pid)) {
        await Deno.remove(join(dir, e.name)).catch(() => {});
      } else if (s.store === store && typeof s.url === "string") found.push(s);
    }
  } catch {
    return undefined; // no servers folder: nothing runs
  }
  // One that does not answer (its pid now belongs to another program) is skipped.
  for (const s of found) {
    try {
      const r = await fetch(`${s.url}/health`, { signal: AbortSignal.timeout(1000) });
      await r.body?.cancel();
      if (r.ok) return s.url;
    } catch {
      // not answering
    }
  }
  return undefined;
}
