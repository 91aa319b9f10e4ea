/** Request bodies for tests of uploads in flight. */

/** A request body the test feeds by hand: `send()` a chunk, then `finish()`. */
export function manualBody(): {
  body: ReadableStream<Uint8Array>;
  send(s: string): void;
  finish(): void;
} {
  const enc = new TextEncoder();
  let send!: (s: string) => void, finish!: () => void;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      send = (s) => c.enqueue(enc.encode(s));
      finish = () => c.close();
    },
  });
  return { body, send: (s: string) => send(s), finish: () => finish() };
}
