/** Debian's Chromium through playwright-core, as the browser tests and bench/ui_bench.ts start it. */
import { type Browser, chromium } from "playwright-core";

/** Starts headless Chromium from `executablePath` without its background network traffic. */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ], // playwright gives each launch a fresh temporary --user-data-dir itself
  });
}
