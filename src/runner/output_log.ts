/**
 * The run artifact `mlt/stdout.log`: the entry point's output, cleaned (log_text.ts) and appended
 * line by line while the run goes on, so a UI can show it live. Writes are queued in order; a
 * failing disk stops the log with one notice, never the run.
 */
import { dirname } from "node:path";
import { LogCleaner, ScriptFraming } from "./log_text.ts";

/** One source of output (stdout, stderr, or the pty's combined stream). */
export interface LogStream {
  write(bytes: Uint8Array): void;
  end(): void;
}

/** An open output log. */
export class OutputLog {
  readonly path: string;
  #file: Deno.FsFile | undefined;
  #queue: Promise<void> = Promise.resolve();
  #warn: (message: string) => void;
  #enc = new TextEncoder();

  private constructor(path: string, file: Deno.FsFile, warn: (message: string) => void) {
    this.path = path;
    this.#file = file;
    this.#warn = warn;
  }

  /** Opens (creates, or appends to when a resumed run has one) the log at `path`. */
  static async open(path: string, warn: (message: string) => void): Promise<OutputLog> {
    await Deno.mkdir(dirname(path), { recursive: true });
    const file = await Deno.open(path, { create: true, append: true });
    return new OutputLog(path, file, warn);
  }

  /** A stream of raw child output (a pipe). */
  stream(): LogStream {
    return this.#stream(false);
  }

  /** A stream of util-linux `script`'s log file: its framing lines are dropped. */
  scriptStream(): LogStream {
    return this.#stream(true);
  }

  #stream(script: boolean): LogStream {
    const dec = new TextDecoder();
    const cleaner = new LogCleaner();
    const framing = script ? new ScriptFraming() : undefined;
    return {
      write: (bytes) => {
        const text = dec.decode(bytes, { stream: true });
        this.#append(cleaner.push(framing ? framing.push(text) : text));
      },
      end: () => {
        let text = dec.decode();
        text = framing ? framing.push(text) + framing.end() : text;
        this.#append(cleaner.push(text) + cleaner.end());
      },
    };
  }

  #append(text: string): void {
    if (!text) return;
    const bytes = this.#enc.encode(text);
    this.#queue = this.#queue.then(async () => {
      const file = this.#file;
      if (!file) return;
      try {
        let off = 0;
        while (off < bytes.length) off += await file.write(bytes.subarray(off));
      } catch (e) {
        this.#file = undefined;
        try {
          file.close();
        } catch { /* already closed */ }
        this.#warn(`=== Stopped writing ${this.path}: ${(e as Error).message} ===`);
      }
    });
  }

  /** Waits for queued writes and closes the file. */
  async close(): Promise<void> {
    await this.#queue;
    try {
      this.#file?.close();
    } catch { /* already closed */ }
    this.#file = undefined;
  }
}

/**
 * Follows a file another process appends to (util-linux `script -f` writing its log), handing
 * new bytes to `onData` every `intervalMs`; `stop()` reads what is left and closes it.
 */
export async function tailFile(
  path: string,
  onData: (bytes: Uint8Array) => void,
  intervalMs = 200,
): Promise<{ stop(): Promise<void> }> {
  const file = await Deno.open(path, { read: true, create: true, write: true });
  const buf = new Uint8Array(64 * 1024);
  let reading: Promise<void> = Promise.resolve();
  const drain = async () => {
    for (;;) {
      const n = await file.read(buf);
      if (n === null || n === 0) return;
      onData(buf.slice(0, n));
    }
  };
  const timer = setInterval(() => {
    reading = reading.then(drain).catch(() => {});
  }, intervalMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await reading;
      await drain().catch(() => {});
      file.close();
    },
  };
}
