/**
 * Logistic regression on generated 2-D data, trained by full-batch gradient descent and tracked
 * with mlt's TypeScript client. Under `mlt run` it logs into the run of MLFLOW_RUN_ID; alone it
 * starts a run in ./mlruns (or MLFLOW_TRACKING_URI).
 */
import * as mlt from "../../src/client/mod.ts";

interface Args {
  epochs: number;
  lr: number;
  samples: number;
  seed: number;
}

// The values as numbers, and as given: under `mlt run` the params are already logged as given
// (`-P lr=1.0` is "1.0"), and logging String(1.0) = "1" again would be a changed param.
function parseArgs(argv: string[]): { args: Args; given: Record<keyof Args, string> } {
  const args: Args = { epochs: 20, lr: 0.5, samples: 400, seed: 7 };
  const given = { epochs: "20", lr: "0.5", samples: "400", seed: "7" };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, "") as keyof Args;
    const value = Number(argv[i + 1]);
    if (!(key in args) || !Number.isFinite(value)) {
      throw new Error(`Unknown or invalid argument ${argv[i]} ${argv[i + 1]}`);
    }
    args[key] = value;
    given[key] = argv[i + 1];
  }
  return { args, given };
}

// mulberry32: a small seeded generator, so runs with the same seed see the same data.
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(next: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

/** Two Gaussian blobs, labelled 0 and 1. */
function makeData(n: number, seed: number): { x: [number, number][]; y: number[] } {
  const next = rng(seed);
  const x: [number, number][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const c = label ? 1 : -1;
    x.push([c + gaussian(next), c + gaussian(next)]);
    y.push(label);
  }
  return { x, y };
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

const { args, given } = parseArgs(Deno.args);
const { x, y } = makeData(args.samples, args.seed);
const run = await mlt.startRun({ runName: `logreg-lr${given.lr}` });
mlt.logParams(given);
mlt.setTag("model", "logistic-regression");

let w = [0, 0];
let b = 0;
for (let epoch = 0; epoch < args.epochs; epoch++) {
  let loss = 0, correct = 0;
  const grad = [0, 0];
  let gradB = 0;
  for (let i = 0; i < x.length; i++) {
    const p = sigmoid(w[0] * x[i][0] + w[1] * x[i][1] + b);
    loss -= y[i] * Math.log(p + 1e-12) + (1 - y[i]) * Math.log(1 - p + 1e-12);
    if ((p >= 0.5 ? 1 : 0) === y[i]) correct++;
    grad[0] += (p - y[i]) * x[i][0];
    grad[1] += (p - y[i]) * x[i][1];
    gradB += p - y[i];
  }
  w = [w[0] - args.lr * grad[0] / x.length, w[1] - args.lr * grad[1] / x.length];
  b -= args.lr * gradB / x.length;
  mlt.logMetrics({ loss: loss / x.length, accuracy: correct / x.length }, epoch);
  console.log(
    `epoch ${epoch}: loss ${(loss / x.length).toFixed(4)}, accuracy ${correct / x.length}`,
  );
}

await mlt.logDict({ w, b }, "model/weights.json");
await mlt.endRun();
console.log(`run ${run.runId} finished`);
