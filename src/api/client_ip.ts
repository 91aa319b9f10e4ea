/**
 * The address a request comes from, for the sign-in limiter: the socket's peer, or — when that
 * peer is a listed reverse proxy (`--trusted-proxies`) — the last X-Forwarded-For entry that is
 * not itself a trusted proxy. A header from anyone else is ignored: it is trivially forged.
 */

/** Parsed `--trusted-proxies`: exact addresses and IPv4 CIDR ranges. */
export interface TrustedProxies {
  has(address: string): boolean;
}

// "::ffff:10.0.0.1" → "10.0.0.1"; brackets and case dropped.
function normalise(address: string): string {
  const a = address.trim().replace(/^\[|\]$/g, "").toLowerCase();
  return a.startsWith("::ffff:") && a.includes(".") ? a.slice(7) : a;
}

function ipv4(address: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

/** Parses the list (addresses, `a.b.c.d/n`); throws a message naming a bad entry. */
export function parseTrustedProxies(list: string[]): TrustedProxies {
  const exact = new Set<string>();
  const ranges: [base: number, mask: number][] = [];
  for (const raw of list) {
    const [addr, bits] = raw.split("/");
    const a = normalise(addr);
    if (bits !== undefined) {
      const base = ipv4(a);
      const n = Number(bits);
      if (base === undefined || !/^\d{1,2}$/.test(bits) || n > 32) {
        throw new Error(`Invalid trusted proxy "${raw}": expected an address or an IPv4 a.b.c.d/n`);
      }
      const mask = n === 0 ? 0 : (~0 << (32 - n)) >>> 0;
      ranges.push([(base & mask) >>> 0, mask]);
    } else if (ipv4(a) !== undefined || /^[0-9a-f:]+$/.test(a) && a.includes(":")) exact.add(a);
    else throw new Error(`Invalid trusted proxy "${raw}": expected an IP address`);
  }
  return {
    has(address: string): boolean {
      const a = normalise(address);
      if (exact.has(a)) return true;
      const v = ipv4(a);
      return v !== undefined && ranges.some(([base, mask]) => ((v & mask) >>> 0) === base);
    },
  };
}

/** The client's address: the peer, or the forwarded client when the peer is a trusted proxy. */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | null,
  trusted: TrustedProxies | undefined,
): string {
  const from = peer === undefined ? "local" : normalise(peer);
  if (!trusted || forwardedFor === null || !trusted.has(from)) return from;
  const hops = forwardedFor.split(",").map(normalise).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) if (!trusted.has(hops[i])) return hops[i];
  return hops[0] ?? from;
}
