/** A Run value built in memory for pure tests (no store). */
import type { Run } from "../../src/model.ts";

/** A finished run with the given id, params, metric keys (value 1 at step 0) and tags. */
export function runOf(o: {
  id?: string;
  params?: Record<string, string>;
  metrics?: string[];
  tags?: string[];
}): Run {
  return {
    info: {
      runId: o.id ?? "r",
      experimentId: "1",
      userId: "u",
      status: "FINISHED",
      artifactUri: "file:///x",
      lifecycleStage: "active",
    },
    data: {
      metrics: (o.metrics ?? []).map((key) => ({ key, value: 1, timestamp: 0, step: 0 })),
      params: Object.entries(o.params ?? {}).map(([key, value]) => ({ key, value })),
      tags: (o.tags ?? []).map((key) => ({ key, value: "v" })),
    },
    inputs: { datasetInputs: [] },
  };
}
