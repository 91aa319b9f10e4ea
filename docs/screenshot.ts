/**
 * Makes docs/screenshot.png, the README's picture of the UI: runs `examples/deno-train` with three
 * learning rates and `examples/hello` into a fresh store through the real CLI, serves it on a free
 * port and photographs one page with headless Chromium (Debian's, as the browser tests use).
 *
 *   deno run -A docs/screenshot.ts [--page runs|run|compare|metric] [--out docs/screenshot.png]
 */
import { parseArgs } from "node:util";
import { launchChromium } from "../tests/helpers/chromium.ts";
import { startMltServer } from "../tests/helpers/mlt_server.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const EXAMPLES = new URL("../examples/", import.meta.url).pathname;
const CHROMIUM = Deno.env.get("MLT_CHROMIUM") ?? "/usr/bin/chromium";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    page: { type: "string", default: "metric" },
    out: { type: "string", default: new URL("./screenshot.png", import.meta.url).pathname },
  },
});

async function mlt(cwd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    cwd,
    env: { NO_COLOR: "1", MLFLOW_TRACKING_URI: "", MLT_HOME: `${cwd}/.mlt` },
    stdin: "null",
  }).output();
  const text = new TextDecoder().decode(out.stderr);
  if (out.code !== 0) throw new Error(`mlt ${args.join(" ")} failed:\n${text}`);
  return /Run ([0-9a-f]{32}) FINISHED/.exec(text)?.[1] ?? "";
}

const dir = await Deno.makeTempDir({ prefix: "mlt-screenshot-" });
try {
  const train = `${EXAMPLES}deno-train`;
  const ids: string[] = [];
  for (const lr of ["0.05", "0.2", "1.0"]) {
    ids.push(
      await mlt(dir, [
        "run",
        train,
        "--experiment-name",
        "deno-train",
        "-P",
        `lr=${lr}`,
        "-P",
        "epochs=60",
      ]),
    );
  }
  await mlt(dir, ["run", `${EXAMPLES}hello`, "--experiment-name", "deno-train", "-P", "name=mlt"]);
  // `mlt server` serves the same UI as `mlt ui`.
  const server = await startMltServer(dir, [], {
    MLFLOW_TRACKING_URI: "",
    MLT_HOME: `${dir}/.mlt`,
  });
  const url = server.url;
  const browser = await launchChromium(CHROMIUM);
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.emulateMedia({ colorScheme: "light" });
    const exp = await (await fetch(
      `${url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=deno-train`,
    )).json();
    const id = exp.experiment.experiment_id;
    const pages: Record<string, string> = {
      runs: `/experiments/${id}`,
      run: `/experiments/${id}/runs/${ids[2]}`,
      compare: `/compare?runs=${ids.join(",")}`,
      metric: `/metric?key=loss&runs=${ids.join(",")}`,
    };
    const target = `${url}${pages[values.page!] ?? pages.runs}`;
    await page.goto(target, { waitUntil: "networkidle" });
    await page.screenshot({ path: values.out });
    console.log(`${values.out}: ${target.replace(url, "")}`);
  } finally {
    await browser.close();
    server.child.kill("SIGTERM");
    await server.child.status;
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
