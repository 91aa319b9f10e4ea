/**
 * Deno's floor for a server: an empty `Deno.serve` on 127.0.0.1:<port> answering 200 "OK" to
 * everything. bench/startup_bench.ts starts it as it starts `mlt server`, so that mlt's start-up
 * and memory can be read against the least any Deno server costs on the same machine and run.
 *
 *   deno run -A bench/floor_server.ts PORT
 */
Deno.serve(
  { hostname: "127.0.0.1", port: Number(Deno.args[0] ?? 0), onListen() {} },
  () => new Response("OK"),
);
