/**
 * A JSON answer as MLflow sends it, in a module of its own so that the app's core (app.ts)
 * answers errors without loading the wire codecs; wire.ts re-exports it.
 */

/** A JSON response as MLflow sends it. */
export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}
