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
