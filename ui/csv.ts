/**
 * CSV output (pure): RFC 4180 quoting, and text that a spreadsheet would run as a formula
 * (starting with =, +, -, @, tab or CR and not a number) prefixed with an apostrophe.
 */

/** One field as CSV. */
export function csvField(v: string | number | undefined): string {
  if (v === undefined) return "";
  if (typeof v === "number") return Number.isNaN(v) ? "NaN" : String(v);
  let s = v;
  if (/^[=+\-@\t\r]/.test(s) && !Number.isFinite(Number(s))) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One CSV line (with its CRLF). */
export function csvRow(fields: (string | number | undefined)[]): string {
  return fields.map(csvField).join(",") + "\r\n";
}

/** A streamed CSV download: `rows` yields chunks of lines; the header goes first. */
export function csvResponse(
  filename: string,
  header: string[],
  rows: () => AsyncGenerator<string>,
): Response {
  const enc = new TextEncoder();
  let it: AsyncGenerator<string> | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(ctrl) {
      ctrl.enqueue(enc.encode(csvRow(header)));
    },
    // One chunk per pull: the next page is read only when the client has taken the last one.
    async pull(ctrl) {
      it ??= rows();
      const { value, done } = await it.next();
      if (done) ctrl.close();
      else ctrl.enqueue(enc.encode(value));
    },
    async cancel() {
      await it?.return(undefined);
    },
  });
  return new Response(body, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${filename.replace(/[^\w.-]/g, "_")}"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}
