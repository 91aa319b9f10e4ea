/** MLflow's error vocabulary: one error class and the code → HTTP status table (reference §5.1). */

/** MLflow error codes that mlt raises or passes through. */
export type ErrorCode =
  | "INVALID_PARAMETER_VALUE"
  | "BAD_REQUEST"
  | "RESOURCE_ALREADY_EXISTS"
  | "UNAUTHENTICATED"
  | "CUSTOMER_UNAUTHORIZED"
  | "PERMISSION_DENIED"
  | "RESOURCE_DOES_NOT_EXIST"
  | "NOT_FOUND"
  | "ENDPOINT_NOT_FOUND"
  | "ABORTED"
  | "ALREADY_EXISTS"
  | "RESOURCE_CONFLICT"
  | "REQUEST_LIMIT_EXCEEDED"
  | "RESOURCE_EXHAUSTED"
  | "CANCELLED"
  | "INTERNAL_ERROR"
  | "INVALID_STATE"
  | "DATA_LOSS"
  | "NOT_IMPLEMENTED"
  | "TEMPORARILY_UNAVAILABLE"
  | "DEADLINE_EXCEEDED";

/** MLflow's HTTP status for each error code (unknown codes are 500, as in MLflow). */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  INVALID_PARAMETER_VALUE: 400,
  BAD_REQUEST: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  UNAUTHENTICATED: 401,
  CUSTOMER_UNAUTHORIZED: 401,
  PERMISSION_DENIED: 403,
  RESOURCE_DOES_NOT_EXIST: 404,
  NOT_FOUND: 404,
  ENDPOINT_NOT_FOUND: 404,
  ABORTED: 409,
  ALREADY_EXISTS: 409,
  RESOURCE_CONFLICT: 409,
  REQUEST_LIMIT_EXCEEDED: 429,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  INTERNAL_ERROR: 500,
  INVALID_STATE: 500,
  DATA_LOSS: 500,
  NOT_IMPLEMENTED: 501,
  TEMPORARILY_UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

/** The one error type of mlt: an MLflow error code plus a human message. */
export class MltError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "MltError";
    this.code = code;
  }

  /** The HTTP status MLflow answers with for this error. */
  get status(): number {
    return HTTP_STATUS[this.code] ?? 500;
  }

  /** MLflow's JSON error body. */
  toJSON(): { error_code: ErrorCode; message: string } {
    return { error_code: this.code, message: this.message };
  }
}

/** Shorthand for the most common client mistake. */
export function invalidParam(message: string): MltError {
  return new MltError("INVALID_PARAMETER_VALUE", message);
}

/** Shorthand for a missing experiment, run, tag or file. */
export function notFound(message: string): MltError {
  return new MltError("RESOURCE_DOES_NOT_EXIST", message);
}

/** An MltError answered with an HTTP status outside MLflow's code table (413, 405, 403 …). */
export class HttpError extends MltError {
  readonly #status: number;

  constructor(code: ErrorCode, message: string, status: number) {
    super(code, message);
    this.#status = status;
  }

  /** The HTTP status this error is answered with. */
  override get status(): number {
    return this.#status;
  }
}
