/**
 * Builds the program that `deno task install` installs as `mlt`: main.ts bundled by `deno bundle`
 * (esbuild) with code splitting, into `dist/mlt/` (main.js and its chunks). Each `import()` of the
 * sources stays a separate chunk that loads on first use, so a server still loads only what
 * serving needs, but from ~40 JavaScript files instead of ~60 TypeScript modules: Deno's cost per
 * module (resolving, reading, its cache lookups) is paid less often. docs/startup.md has the
 * figures.
 *
 * One rewrite of esbuild's output: its shared helper chunk creates a `require` for the CommonJS
 * packages (prom-client) by importing `node:module`, which every chunk's import of the helpers
 * would load at start, and which starts Deno's Node compatibility layer (~18 ms). The rewrite
 * creates that `require` on its first call instead. A build whose output no longer has that
 * shape fails, rather than install a slow or broken program.
 *
 *     deno run -A tools/bundle.ts [--outdir dist/mlt]
 */
import { parseArgs } from "node:util";
import { join } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;

// esbuild's `require` for bundled CommonJS code: `createRequire` from node:module, called at once.
const EAGER_REQUIRE =
  /import \{ createRequire as (\w+) \} from "node:module";\nvar (\w+) = \1\(import\.meta\.url\);/g;
const NODE_MODULE_IMPORT = /from\s*"node:module"|import\s*"node:module"/;

/** The same `require`, created on its first call (`process` is Deno's Node-compatible global). */
function lazyRequire(name: string): string {
  return `var ${name}_made;\nvar ${name} = (id) => (${name}_made ??= globalThis.process` +
    `.getBuiltinModule("node:module").createRequire(import.meta.url))(id);`;
}

/** Rewrites the chunks in `dir`; returns how many `require`s became lazy. */
export async function deferRequire(dir: string): Promise<number> {
  let rewritten = 0;
  for await (const e of Deno.readDir(dir)) {
    if (!e.isFile || !e.name.endsWith(".js")) continue;
    const path = join(dir, e.name);
    const text = await Deno.readTextFile(path);
    const out = text.replace(EAGER_REQUIRE, (_all, _create, name: string) => {
      rewritten++;
      return lazyRequire(name);
    });
    if (NODE_MODULE_IMPORT.test(out)) {
      throw new Error(
        `${e.name} still imports node:module: deno bundle's output changed shape ` +
          "(update EAGER_REQUIRE in tools/bundle.ts)",
      );
    }
    if (out !== text) await Deno.writeTextFile(path, out);
  }
  return rewritten;
}

/**
 * The Deno flags the installed command runs with, from an install task's command line (deno.json's
 * `install`): V8 flags, unstable features, `--no-config`. The benchmarks, the image and the tests
 * start the bundle with them.
 */
export function installRunFlags(installTask: string): string[] {
  return installTask.split(" ").filter((w) => /^(--v8-flags=|--unstable-|--no-config$)/.test(w));
}

/** Bundles main.ts into `outdir` (replacing an earlier bundle there); returns its file count. */
export async function bundle(outdir: string): Promise<number> {
  const previous = await Deno.stat(join(outdir, "main.js")).then(() => true, () => false);
  const occupied = await Deno.stat(outdir).then(() => true, () => false);
  if (occupied && !previous) {
    throw new Error(`${outdir} exists and holds no earlier bundle (main.js): not replacing it`);
  }
  const tmp = `${outdir}.tmp-${Deno.pid}`;
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
  try {
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--platform", "deno", "--code-splitting", "--outdir", tmp, "main.ts"],
      cwd: ROOT,
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    if (code !== 0) {
      throw new Error(`deno bundle failed:\n${new TextDecoder().decode(stderr).trim()}`);
    }
    await deferRequire(tmp);
    await Deno.stat(join(tmp, "main.js")); // the entry point, or a clear NotFound
    if (occupied) await Deno.remove(outdir, { recursive: true });
    await Deno.rename(tmp, outdir);
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
  let files = 0;
  for await (const _ of Deno.readDir(outdir)) files++;
  return files;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { outdir: { type: "string", default: join(ROOT, "dist", "mlt") } },
  });
  try {
    const files = await bundle(values.outdir!);
    console.error(`bundled main.ts into ${values.outdir} (${files} files)`);
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
