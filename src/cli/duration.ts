/** MLflow's `--older-than` durations (`2d8h5m20s`, floats allowed), as milliseconds. Pure. */
import { invalidParam } from "../errors.ts";

const FORMAT =
  /^(?:(\d+(?:\.\d*)?|\.\d+)d)?(?:(\d+(?:\.\d*)?|\.\d+)h)?(?:(\d+(?:\.\d*)?|\.\d+)m)?(?:(\d+(?:\.\d*)?|\.\d+)s)?$/;
const UNIT_MS = [86_400_000, 3_600_000, 60_000, 1000];

/** Parses `#d#h#m#s` (each part optional, in that order, at least one); throws MltError. */
export function parseDuration(text: string): number {
  const m = FORMAT.exec(text.trim());
  if (!m || m.slice(1).every((p) => p === undefined)) {
    throw invalidParam(
      `Could not parse any time information from '${text}'. ` +
        "Examples of valid strings: '8h', '2d8h5m20s', '2m4s'",
    );
  }
  return m.slice(1).reduce((ms, p, i) => ms + (p === undefined ? 0 : Number(p) * UNIT_MS[i]), 0);
}
