/**
 * A large artifact uploaded through the `mlflow-artifacts` proxy to an S3-compatible store:
 * `mlt server` against `mlflow server` (the venv's MLflow, boto3), each with
 * `--artifacts-destination s3://<bucket>/<own prefix>` on one SeaweedFS (tests/helpers/s3.ts),
 * a SQLite backend store each.
 *
 *   deno run -A bench/s3_bench.ts [--mb 1024] [--reps 1] [--servers mlt,mlflow]
 *     [--via put|mpu] [--dest s3|local]
 *
 * `--via put` (default): each upload is one streamed `PUT /api/2.0/mlflow-artifacts/artifacts/
 * <path>` (1 MiB chunks of pseudo-random bytes, never held whole) as the Python client sends it
 * without proxy multipart. `--via mpu`: the real Python client logs a file of that size with
 * MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true (the server presigns part URLs; the bytes go straight
 * to S3); its time includes the client's own start-up. `--dest local`: the destination is a
 * local folder instead of S3 (PUT only).
 * Measured: wall time to the answer, and the server's memory while it works: the peak of the
 * summed RSS of its process tree (sampled every 50 ms) and the largest VmHWM (the kernel's own
 * peak) of one process in it. The object must then be in the bucket with the exact size.
 * Target (issue 14): mlt's peak RSS under 150 MB.
 */
import { parseArgs } from "node:util";
import { startMlflow, stopMlflow } from "../tests/compat/mlflow_server.ts";
import { pythonPath } from "../tests/compat/python.ts";
import { type S3Server, withS3 } from "../tests/helpers/s3.ts";
import { startMltServer } from "../tests/helpers/mlt_server.ts";
import { tree } from "./proc_stats.ts";

const { values: opt } = parseArgs({
  args: Deno.args,
  options: {
    mb: { type: "string", default: "1024" },
    reps: { type: "string", default: "1" },
    servers: { type: "string", default: "mlt,mlflow" },
    via: { type: "string", default: "put" },
    dest: { type: "string", default: "s3" },
  },
});
const MIB = 1024 * 1024;
const SIZE = Number(opt.mb) * MIB;
if (!["put", "mpu"].includes(opt.via!) || !["s3", "local"].includes(opt.dest!)) {
  throw new Error("--via is put or mpu, --dest s3 or local");
}
if (opt.via === "mpu" && opt.dest !== "s3") throw new Error("--via mpu needs --dest s3");

interface Server {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

function kb(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m")
      .exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** The summed RSS and the largest VmHWM of `root`'s process tree, in MB. */
function memory(root: number): { rss: number; hwm: number } {
  let rss = 0, hwm = 0;
  for (const p of tree(root)) {
    rss += kb(p, "VmRSS");
    hwm = Math.max(hwm, kb(p, "VmHWM"));
  }
  return { rss: rss / 1024, hwm: hwm / 1024 };
}

/** `size` pseudo-random bytes in 1 MiB chunks, made as they are read. */
function body(size: number): ReadableStream<Uint8Array> {
  let sent = 0;
  let x = 0x9e3779b9;
  return new ReadableStream({
    pull(ctl) {
      if (sent >= size) return ctl.close();
      const chunk = new Uint8Array(Math.min(MIB, size - sent));
      const words = new Uint32Array(chunk.buffer, 0, chunk.length >>> 2);
      for (let i = 0; i < words.length; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        words[i] = x;
      }
      sent += chunk.length;
      ctl.enqueue(chunk);
    },
  });
}

async function startServer(kind: string, dir: string, s3: S3Server): Promise<Server> {
  const dest = opt.dest === "s3" ? `s3://${s3.bucket}/${kind}` : `${dir}/artifacts`;
  const store = `sqlite:///${dir}/mlflow.db`;
  if (kind === "mlt") {
    const s = await startMltServer(
      dir,
      ["--backend-store-uri", store, "--artifacts-destination", dest],
      s3.env,
    );
    return {
      url: s.url,
      pid: s.child.pid,
      stop: async () => {
        s.child.kill("SIGTERM");
        await s.child.status;
        await s.stderr;
      },
    };
  }
  const s = await startMlflow(
    dir,
    ["--backend-store-uri", store, "--artifacts-destination", dest],
    s3.env,
  );
  return { url: s.url, pid: s.child.pid, stop: () => stopMlflow(s) };
}

// One streamed PUT through the proxy; returns the object's key under the destination.
async function put(server: Server, rep: number): Promise<string> {
  const path = `bench/${rep}/big.bin`;
  const res = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${path}`, {
    method: "PUT",
    body: body(SIZE),
  });
  const answer = await res.text();
  if (!res.ok) throw new Error(`PUT answered ${res.status} ${answer.slice(0, 300)}`);
  return path;
}

// The Python client logs `file` to a new run with proxy multipart on; returns the object's key.
async function mpu(server: Server, file: string): Promise<string> {
  const script = "import mlflow, sys\n" +
    "mlflow.set_tracking_uri(sys.argv[1])\n" +
    "with mlflow.start_run() as r:\n" +
    "    mlflow.log_artifact(sys.argv[2])\n" +
    "    print(r.info.artifact_uri)\n";
  const out = await new Deno.Command(pythonPath(), {
    args: ["-c", script, server.url, file],
    env: { MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD: "true" },
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr).slice(-2000));
  // mlflow-artifacts:/<path under the destination>, among the client's "View run" lines.
  const uri = /^mlflow-artifacts:\/*(.*)$/m.exec(new TextDecoder().decode(out.stdout));
  if (!uri) throw new Error(`no artifact URI in ${new TextDecoder().decode(out.stdout)}`);
  return `${uri[1].trim()}/big.bin`;
}

async function stored(s3: S3Server, dir: string, kind: string, path: string): Promise<number> {
  if (opt.dest === "local") {
    const size = (await Deno.stat(`${dir}/artifacts/${path}`)).size;
    await Deno.remove(`${dir}/artifacts/${path}`);
    return size;
  }
  const key = `${kind}/${path}`;
  const head = await s3.client.send({ method: "HEAD", bucket: s3.bucket, key });
  await head.body?.cancel();
  const del = await s3.client.send({ method: "DELETE", bucket: s3.bucket, key });
  await del.body?.cancel();
  return Number(head.headers.get("content-length"));
}

async function upload(server: Server, s3: S3Server, dir: string, kind: string, rep: number) {
  const idle = memory(server.pid);
  let peak = idle.rss;
  const sampler = setInterval(() => peak = Math.max(peak, memory(server.pid).rss), 50);
  const t = performance.now();
  let path: string;
  try {
    path = opt.via === "put" ? await put(server, rep) : await mpu(server, `${dir}/big.bin`);
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - t) / 1000;
  const after = memory(server.pid);
  peak = Math.max(peak, after.rss);
  const size = await stored(s3, dir, kind, path);
  if (size !== SIZE) throw new Error(`${kind}: the destination holds ${size} bytes, not ${SIZE}`);
  return { seconds, idle: idle.rss, peak, hwm: after.hwm };
}

const rows: Record<string, { seconds: number; idle: number; peak: number; hwm: number }[]> = {};
const version = new Deno.Command(pythonPath(), {
  args: [
    "-c",
    "import mlflow, boto3; print('mlflow', mlflow.__version__, 'boto3', boto3.__version__)",
  ],
}).outputSync();
console.log(
  `deno ${Deno.version.deno}, ${new TextDecoder().decode(version.stdout).trim()}; ` +
    `${opt.mb} MiB per upload, ${opt.reps} rep(s), via ${opt.via} to ${opt.dest}`,
);
await withS3(async (s3) => {
  for (const kind of opt.servers.split(",")) {
    const dir = await Deno.makeTempDir({ prefix: `mlt-s3-bench-${kind}-` });
    const server = await startServer(kind, dir, s3);
    try {
      if (opt.via === "mpu") {
        using f = await Deno.open(`${dir}/big.bin`, { write: true, create: true });
        for await (const chunk of body(SIZE)) {
          for (let at = 0; at < chunk.length;) at += await f.write(chunk.subarray(at));
        }
      }
      rows[kind] = [];
      for (let rep = 0; rep < Number(opt.reps); rep++) {
        const r = await upload(server, s3, dir, kind, rep);
        rows[kind].push(r);
        console.log(
          `${kind.padEnd(6)} rep ${rep}: ${r.seconds.toFixed(1)} s ` +
            `(${(SIZE / MIB / r.seconds).toFixed(0)} MiB/s); RSS idle ${r.idle.toFixed(0)} MB, ` +
            `peak ${r.peak.toFixed(0)} MB (tree sum); largest VmHWM ${r.hwm.toFixed(0)} MB`,
        );
      }
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  }
});
const best = (k: string) => Math.min(...(rows[k] ?? []).map((r) => r.seconds));
const peak = (k: string) => Math.max(...(rows[k] ?? []).map((r) => r.peak));
if (rows.mlt && rows.mlflow) {
  console.log(
    `wall time mlflow / mlt: ${(best("mlflow") / best("mlt")).toFixed(2)}x; ` +
      `peak RSS mlflow / mlt: ${(peak("mlflow") / peak("mlt")).toFixed(2)}x`,
  );
}
if (rows.mlt) {
  console.log(
    `mlt peak RSS ${peak("mlt").toFixed(0)} MB: ${peak("mlt") < 150 ? "under" : "OVER"} 150 MB`,
  );
}
