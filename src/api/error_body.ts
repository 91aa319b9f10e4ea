/**
 * The JSON body of an error answer as MLflow 3.17 sends it: `error_code` and `message`, then the
 * `sqlstate` and `error_class` its MlflowException derives from the code (MLflow's
 * error_classification.py, client-side table). MLflow's Python client keeps both on the
 * RestException it raises, so they are part of what a client can see.
 */
import type { MltError } from "../errors.ts";

// error_code → [sqlstate, error_class]; codes MLflow does not classify get neither field.
const CLASSIFICATION: Readonly<Record<string, readonly [string, string]>> = {
  BAD_REQUEST: ["KAM00", "INVALID_PARAMETER_VALUE"],
  CUSTOMER_UNAUTHORIZED: ["KAM00", "PERMISSION_DENIED"],
  ENDPOINT_NOT_FOUND: ["KAM00", "RESOURCE_NOT_FOUND"],
  FEATURE_DISABLED: ["KAM00", "FEATURE_DISABLED"],
  INTERNAL_ERROR: ["XXM00", "CLIENT_INTERNAL_ERROR"],
  INVALID_PARAMETER_VALUE: ["KAM00", "INVALID_PARAMETER_VALUE"],
  INVALID_STATE: ["XXM00", "CLIENT_INTERNAL_ERROR"],
  NOT_FOUND: ["KAM00", "RESOURCE_NOT_FOUND"],
  PERMISSION_DENIED: ["KAM00", "PERMISSION_DENIED"],
  RESOURCE_ALREADY_EXISTS: ["KAM00", "RESOURCE_ALREADY_EXISTS"],
  RESOURCE_DOES_NOT_EXIST: ["KAM00", "RESOURCE_NOT_FOUND"],
  TEMPORARILY_UNAVAILABLE: ["XXM00", "CLIENT_INTERNAL_ERROR"],
};

/** `{error_code, message[, sqlstate, error_class]}` for an error code and message. */
export function errorBody(code: string, message: string): Record<string, string> {
  const c = CLASSIFICATION[code];
  return c
    ? { error_code: code, message, sqlstate: c[0], error_class: c[1] }
    : { error_code: code, message };
}

/** The body of an MltError's answer. */
export function mltErrorBody(e: MltError): Record<string, string> {
  return errorBody(e.code, e.message);
}
