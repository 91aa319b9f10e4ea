/** The few pieces of S3's XML that mlt reads and writes (listings, uploads), as plain text. */

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** Text of XML with its entities decoded. */
export function xmlText(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (all, e: string) => {
    if (e[0] === "#") {
      const n = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(n) ? String.fromCodePoint(n) : all;
    }
    return ENTITIES[e.toLowerCase()] ?? all;
  });
}

/** XML-escaped text. */
export function xmlEscape(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => `&${{ "&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "apos" }[c]};`,
  );
}

/** The decoded text of the first `<name>` element in `xml`, or undefined. */
export function xmlTag(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return m ? xmlText(m[1]) : undefined;
}

/** The inner XML of every `<name>` element in `xml`. */
export function xmlBlocks(xml: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, "g"))].map((m) => m[1]);
}

/** One page of ListObjectsV2. */
export interface ListPage {
  files: { key: string; size: number }[];
  prefixes: string[];
  next?: string;
}

/** Parses a ListObjectsV2 answer. */
export function parseListPage(xml: string): ListPage {
  const files = xmlBlocks(xml, "Contents").map((b) => ({
    key: xmlTag(b, "Key") ?? "",
    size: Number(xmlTag(b, "Size") ?? 0),
  }));
  const prefixes = xmlBlocks(xml, "CommonPrefixes").map((b) => xmlTag(b, "Prefix") ?? "");
  const truncated = xmlTag(xml, "IsTruncated") === "true";
  return { files, prefixes, next: truncated ? xmlTag(xml, "NextContinuationToken") : undefined };
}

/** The body of CompleteMultipartUpload. */
export function completeBody(parts: { partNumber: number; etag: string }[]): string {
  const items = parts.map((p) =>
    `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${xmlEscape(p.etag)}</ETag></Part>`
  );
  return `<CompleteMultipartUpload>${items.join("")}</CompleteMultipartUpload>`;
}
