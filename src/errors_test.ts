import assert from "node:assert/strict";
import { HTTP_STATUS, MltError } from "./errors.ts";

Deno.test("MltError maps MLflow's codes to MLflow's HTTP statuses", () => {
  const table: [keyof typeof HTTP_STATUS, number][] = [
    ["INVALID_PARAMETER_VALUE", 400],
    ["RESOURCE_ALREADY_EXISTS", 400],
    ["RESOURCE_DOES_NOT_EXIST", 404],
    ["INVALID_STATE", 500],
    ["TEMPORARILY_UNAVAILABLE", 503],
    ["REQUEST_LIMIT_EXCEEDED", 429],
    ["NOT_IMPLEMENTED", 501],
  ];
  for (const [code, status] of table) assert.equal(new MltError(code, "m").status, status, code);
});

Deno.test("MltError serialises as MLflow's error body", () => {
  const e = new MltError("RESOURCE_DOES_NOT_EXIST", "Run 'x' not found");
  assert.equal(
    JSON.stringify(e),
    '{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"Run \'x\' not found"}',
  );
  assert.ok(e instanceof Error);
});
