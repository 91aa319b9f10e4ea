/**
 * Stale RUNNING runs: a run whose `mlt run` process (tags `mlt.runner.pid` on `mlt.runner.host`)
 * is gone from this host, or that has been running for longer than a limit without ending.
 */
import process from "node:process";
import type { Run } from "../model.ts";
import { RUNNER_HOST_TAG, RUNNER_PID_TAG } from "../runner/run_record.ts";

/** Default age after which a RUNNING run without a live runner counts as stale. */
export const DEFAULT_STALE_AFTER_MS = 7 * 86_400_000;

/** How to judge staleness: the clock, this host, and a process probe. */
export interface StaleCheck {
  now: number;
  host: string;
  staleAfterMs: number;
  alive: (pid: number) => boolean;
}

/** Whether a process with `pid` exists on this host (signal 0 probes without sending). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as { code?: string }).code === "EPERM";
  }
}

/** The default check: now, this host, a 7-day limit. */
export function staleCheck(staleAfterMs = DEFAULT_STALE_AFTER_MS): StaleCheck {
  return { now: Date.now(), host: Deno.hostname(), staleAfterMs, alive: processAlive };
}

/** Why a run is stale, or undefined when it is not RUNNING or not stale. */
export function staleReason(run: Run, c: StaleCheck): string | undefined {
  if (run.info.status !== "RUNNING" || run.info.lifecycleStage !== "active") return undefined;
  const tag = (k: string) => run.data.tags.find((t) => t.key === k)?.value;
  const pid = Number(tag(RUNNER_PID_TAG));
  const host = tag(RUNNER_HOST_TAG);
  if (Number.isInteger(pid) && pid > 0 && host === c.host) {
    // A live pid may be a reused one, so a live runner falls through to the age check.
    if (!c.alive(pid)) return `its runner (pid ${pid} on ${host}) is gone`;
  }
  const start = run.info.startTime;
  if (start !== undefined && c.now - start > c.staleAfterMs) {
    const days = ((c.now - start) / 86_400_000).toFixed(1);
    return `it has been RUNNING for ${days} days`;
  }
  return undefined;
}
