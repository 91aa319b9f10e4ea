/**
 * Secrets of `--auth basic`: PBKDF2 password hashes in werkzeug's format (the one MLflow's own
 * basic-auth uses, `pbkdf2:sha256:600000$salt$hex`) or Django's (`pbkdf2_sha256$N$salt$b64`),
 * derived with Web Crypto; plain secrets kept only as SHA-256 digests; every comparison in
 * constant time.
 */

/** Iterations of hashes made by `hashPassword` (OWASP's figure for PBKDF2-HMAC-SHA256). */
export const DEFAULT_ITERATIONS = 600_000;
/** Most iterations a configured hash may ask for (a typo should not stall every sign-in). */
export const MAX_ITERATIONS = 10_000_000;

/** A parsed PBKDF2 hash. */
export interface PasswordHash {
  digest: "SHA-256" | "SHA-512";
  iterations: number;
  salt: Uint8Array;
  hash: Uint8Array;
}

/** A stored secret: a PBKDF2 hash, or the SHA-256 digest of a plain one. */
export type StoredSecret = { kind: "pbkdf2"; hash: PasswordHash } | {
  kind: "plain";
  digest: Uint8Array;
};

const enc = new TextEncoder();

/** True when `a` and `b` hold the same bytes; the time taken depends only on `a`'s length. */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length === b.length ? 0 : 1;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ (b[i] ?? 0);
  return diff === 0;
}

/** SHA-256 of a string (UTF-8) or bytes. */
export async function sha256(data: string | Uint8Array): Promise<Uint8Array> {
  const bytes = typeof data === "string" ? enc.encode(data) : data;
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}

/** PBKDF2-HMAC of `password` (UTF-8) with `salt`, `bytes` long. */
export async function pbkdf2(
  password: string,
  salt: Uint8Array,
  iterations: number,
  digest: PasswordHash["digest"],
  bytes: number,
): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", enc.encode(password), "PBKDF2", false, [
    "deriveBits",
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: digest, salt: salt as Uint8Array<ArrayBuffer>, iterations },
    key,
    bytes * 8,
  );
  return new Uint8Array(bits);
}

function fromHex(s: string): Uint8Array | undefined {
  if (!/^(?:[0-9a-f]{2})+$/i.test(s)) return undefined;
  return Uint8Array.from(s.match(/../g)!, (h) => parseInt(h, 16));
}

function fromBase64(s: string): Uint8Array | undefined {
  try {
    return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

const HASH_NAMES: Record<string, PasswordHash["digest"]> = { sha256: "SHA-256", sha512: "SHA-512" };

/** Prefixes of hash formats mlt recognises but cannot check (Web Crypto has no scrypt/bcrypt). */
const UNSUPPORTED =
  /^(?:scrypt[:$]|\$scrypt\$|\$2[abxy]?\$|\$argon2|argon2|bcrypt|\$pbkdf2|\$[0-9a-z]+\$)/i;

/** Why a configured secret is refused. */
export class SecretFormatError extends Error {}

/**
 * Reads a configured password: a werkzeug or Django PBKDF2 hash, otherwise a plain password.
 * Throws SecretFormatError for empty secrets, malformed PBKDF2 hashes and hash formats mlt
 * cannot check (scrypt, bcrypt, argon2), so a hash is never mistaken for a plain password.
 */
export async function parseSecret(secret: string): Promise<StoredSecret> {
  if (secret === "") throw new SecretFormatError("the password is empty");
  const werkzeug = /^pbkdf2:([a-z0-9]+)(?::(\d+))?\$([^$]+)\$([0-9a-f]+)$/i.exec(secret);
  const django = /^pbkdf2_(sha256|sha512)\$(\d+)\$([^$]+)\$([A-Za-z0-9+/=]+)$/.exec(secret);
  if (werkzeug || django) {
    const [, name, iter, salt, hash] = (werkzeug ?? django)!;
    const digest = HASH_NAMES[name.toLowerCase()];
    // werkzeug's default when the method names no iterations.
    const iterations = iter === undefined ? 1_000_000 : Number(iter);
    const bytes = werkzeug ? fromHex(hash) : fromBase64(hash);
    if (!digest) {
      throw new SecretFormatError(`PBKDF2 with ${name} is not supported (sha256, sha512)`);
    }
    if (!bytes?.length) throw new SecretFormatError("the PBKDF2 hash is malformed");
    if (iterations < 1 || iterations > MAX_ITERATIONS) {
      throw new SecretFormatError(`PBKDF2 iterations must be between 1 and ${MAX_ITERATIONS}`);
    }
    return { kind: "pbkdf2", hash: { digest, iterations, salt: enc.encode(salt), hash: bytes } };
  }
  if (/^pbkdf2[:_]/i.test(secret) || UNSUPPORTED.test(secret)) {
    throw new SecretFormatError(
      "it looks like a password hash mlt cannot check; use PBKDF2 (`mlt server --hash-password`)",
    );
  }
  return { kind: "plain", digest: await sha256(secret) };
}

/** True when `password` matches the stored secret (PBKDF2 runs off the event loop). */
export async function checkSecret(password: string, stored: StoredSecret): Promise<boolean> {
  if (stored.kind === "plain") return timingSafeEqual(await sha256(password), stored.digest);
  const h = stored.hash;
  return timingSafeEqual(
    await pbkdf2(password, h.salt, h.iterations, h.digest, h.hash.length),
    h.hash,
  );
}

/** A new werkzeug-format PBKDF2-SHA256 hash of `password` with a random 16-character salt. */
export async function hashPassword(
  password: string,
  iterations = DEFAULT_ITERATIONS,
): Promise<string> {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  // 62 × 4 = 248 < 256: drop bytes ≥ 248 so every character is equally likely.
  let salt = "";
  while (salt.length < 16) {
    for (const b of crypto.getRandomValues(new Uint8Array(32))) {
      if (b < 248 && salt.length < 16) salt += alphabet[b % 62];
    }
  }
  const hash = await pbkdf2(password, enc.encode(salt), iterations, "SHA-256", 32);
  const hex = Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
  return `pbkdf2:sha256:${iterations}$${salt}$${hex}`;
}
