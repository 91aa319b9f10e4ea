import assert from "node:assert/strict";
import { render } from "./report.ts";

Deno.test("report.ts renders a startup_bench result with its context and median (min–max)", () => {
  const text = render([{
    bench: "startup",
    command: "deno run -A bench/startup_bench.ts --rounds 2",
    started: "2026-12-03T17:00:00.000Z",
    machine: "2 cores (CPU), 8 GiB, linux",
    load: { start: "1.00 1.00 1.00", end: "2.00 2.00 2.00" },
    versions: { deno: "2.9.6", fml: "FastTrackML version 0.6.0" },
    rounds: { mlt: [{}, {}], floor: [{}, {}] },
    summary: {
      mlt: {
        b8_ms: { median: 42, min: 40, max: 44 },
        idle_rss_mb: { median: 58, min: 57, max: 59 },
      },
      floor: { b8_ms: { median: 20.5, min: 20, max: 21 } },
    },
  }]);
  assert.match(text, /2026-12-03 17:00 UTC/);
  assert.match(text, /Command: `deno run -A bench\/startup_bench\.ts --rounds 2`/);
  assert.match(text, /fml FastTrackML version 0\.6\.0/);
  assert.match(text, /Median of 2 rounds/);
  assert.match(text, /\| workload \| mlt server \| empty Deno\.serve \|/);
  assert.match(
    text,
    /\| B8 spawn → first 200 on \/health \(ms\) \| 42\.0 \(40\.0–44\.0\) \| 20\.5 \(20\.0–21\.0\) \|/,
  );
  assert.match(text, /\| B9 idle RSS \(MB\) \| 58\.0 \(57\.0–59\.0\) \| — \|/);
  assert.doesNotMatch(text, /requests\/s/);
});

Deno.test("report.ts renders a rest_bench result's rows, escaping pipes", () => {
  const text = render([{
    bench: "rest",
    command: "deno run -A bench/rest_bench.ts",
    started: "2026-12-03T17:00:00.000Z",
    versions: ["mlt abc", "machine: 2 cores"],
    columns: ["mlt", "MLflow", "FastTrackML", "MLflow / mlt", "FastTrackML / mlt"],
    rows: [["B3 (requests/s)", "233", "33.6", "failed: a|b", "6.9×", "—"]],
    notes: ["a note"],
  }]);
  assert.match(text, /### REST server \(`bench\/rest_bench\.ts`, 2026-12-03 17:00 UTC\)/);
  assert.match(text, /\| B3 \(requests\/s\) \| 233 \| 33\.6 \| failed: a\\\|b \| 6\.9× \| — \|/);
  assert.match(text, /^- a note$/m);
});

Deno.test("report.ts renders a postgres_bench result with its machine, load and versions", () => {
  const text = render([{
    bench: "postgres",
    command: "deno run -A bench/postgres_bench.ts --budget 60",
    started: "2026-12-04T02:33:00.000Z",
    machine: "2 cores (CPU), 8 GiB, linux",
    load: { start: "0.50 0.40 0.30", end: "1.00 0.90 0.80" },
    versions: { deno: "2.9.6", mlflow: "mlflow 3.17.2" },
    columns: ["mlt", "MLflow (mlflow 3.17.2)", "MLflow / mlt"],
    rows: [["B4 search (p50)", "20 ms", "400 ms", "20.0×"]],
    notes: ["† extrapolated."],
  }]);
  assert.match(text, /### PostgreSQL \(`bench\/postgres_bench\.ts`, 2026-12-04 02:33 UTC\)/);
  assert.match(text, /load average 0\.50 0\.40 0\.30 at start, 1\.00 0\.90 0\.80 at end/);
  assert.match(text, /versions: Deno 2\.9\.6; mlflow 3\.17\.2\./);
  assert.match(text, /\| B4 search \(p50\) \| 20 ms \| 400 ms \| 20\.0× \|/);
  assert.match(text, /^- † extrapolated\.$/m);
});
