/**
 * A loader that imports a module on its first call and hands back the same module after, for
 * the modules a server does not need before its first request (docs/startup.md). The caller
 * writes the `import("…")` itself, so Deno's lazy dynamic imports still see the literal path.
 */

/** `load` run once, on the first call; every call answers its promise. */
export function lazyModule<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => loading ??= load();
}

/**
 * Adds to `into` one method per name of `calls` that awaits `load()` (run once) and calls the
 * method of that name on what it gives: an object whose implementation loads on its first call.
 */
export function forwardCalls<T extends object>(
  into: Record<string, unknown>,
  calls: readonly string[],
  load: () => Promise<T>,
): void {
  const target = lazyModule(load);
  for (const name of calls) {
    into[name] = async (...args: unknown[]) => {
      const real = await target() as unknown as Record<string, (...a: unknown[]) => unknown>;
      return await real[name](...args);
    };
  }
}
