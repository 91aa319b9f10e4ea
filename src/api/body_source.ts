/**
 * Reads a request body into buffers the caller owns. Deno's request bodies are byte streams, so a
 * BYOB reader fills the caller's buffer directly; the default reader would allocate a fresh
 * 64 KiB buffer for every read, which a body sent one byte at a time turns into 64 KiB per byte
 * (held if the chunks are kept, garbage churn if they are not). Other streams (tests' string
 * bodies) are read chunk by chunk and copied.
 */

/** One read: the bytes read (a view on the buffer the caller owns now) and whether the body ended. */
export interface SourceRead {
  /** The bytes read, at the offset asked for; its `.buffer` replaces the one passed in. */
  bytes: Uint8Array;
  done: boolean;
}

/** A body read into caller-supplied views. */
export class BodySource {
  readonly #byob?: ReadableStreamBYOBReader;
  readonly #plain?: ReadableStreamDefaultReader<Uint8Array>;
  #left: Uint8Array | undefined;

  constructor(body: ReadableStream<Uint8Array>) {
    try {
      this.#byob = body.getReader({ mode: "byob" });
    } catch {
      this.#plain = body.getReader();
    }
  }

  /**
   * Reads at most `view.byteLength` (> 0) bytes into `view`. With a BYOB reader `view`'s buffer
   * is transferred: use the returned `bytes.buffer` from then on.
   */
  async read(view: Uint8Array): Promise<SourceRead> {
    if (this.#byob) {
      const { done, value } = await this.#byob.read(view);
      const bytes = value ?? new Uint8Array(0);
      return { bytes, done };
    }
    let chunk = this.#left;
    this.#left = undefined;
    if (!chunk) {
      const r = await this.#plain!.read();
      if (r.done) return { bytes: view.subarray(0, 0), done: true };
      chunk = r.value;
    }
    const n = Math.min(chunk.byteLength, view.byteLength);
    view.set(chunk.subarray(0, n));
    if (n < chunk.byteLength) this.#left = chunk.subarray(n);
    return { bytes: view.subarray(0, n), done: false };
  }

  /** Stops reading; the connection drops the rest. */
  cancel(): void {
    (this.#byob ?? this.#plain)!.cancel().catch(() => {});
  }
}
