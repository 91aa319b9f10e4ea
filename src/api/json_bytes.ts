/**
 * JSON text written straight into one growing byte buffer. Large answers (a history page holds up
 * to tens of thousands of points) built with string `+=` are ropes of small strings that stay
 * alive on V8's young heap until the answer is sent, so every scavenge in between copies them;
 * bytes live in one off-heap buffer that no scavenge copies, which lets the young generation stay
 * small (docs/memory.md). Pure: no Deno APIs.
 */

const utf8 = new TextEncoder();

/** An append-only UTF-8 buffer. */
export class JsonBytes {
  #buf: Uint8Array<ArrayBuffer>;
  #n = 0;

  constructor(capacity = 16 * 1024) {
    this.#buf = new Uint8Array(capacity);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#n;
  }

  /** Forgets everything after the first `n` bytes. */
  truncate(n: number): void {
    this.#n = Math.min(this.#n, Math.max(0, n));
  }

  #room(extra: number): void {
    if (this.#n + extra <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#n + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#n));
    this.#buf = next;
  }

  /** Appends a string as UTF-8. */
  text(s: string): void {
    // Short strings byte by byte (a native call costs more); longer ones in one encodeInto.
    if (s.length > 16) return this.#encode(s);
    this.#room(s.length);
    const buf = this.#buf;
    let n = this.#n;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.#n = n;
        return this.#encode(s.slice(i));
      }
      buf[n++] = c;
    }
    this.#n = n;
  }

  #encode(s: string): void {
    this.#room(s.length);
    let r = utf8.encodeInto(s, this.#buf.subarray(this.#n));
    this.#n += r.written;
    if (r.read === s.length) return;
    // Not ASCII: the rest takes at most 3 bytes per UTF-16 unit.
    const rest = s.slice(r.read);
    this.#room(rest.length * 3);
    r = utf8.encodeInto(rest, this.#buf.subarray(this.#n));
    this.#n += r.written;
  }

  /** The bytes written (a view: valid until the next write). */
  bytes(): Uint8Array<ArrayBuffer> {
    return this.#buf.subarray(0, this.#n);
  }
}
