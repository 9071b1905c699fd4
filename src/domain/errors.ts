/**
 * The one error type of DSL Desk. `message` is for logs and developers; `userMessage` is safe to show
 * to the person who made the request. Neither may ever contain concern text.
 */
export const ERROR_CODES = {
  invalid_input: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  invalid_transition: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  unavailable: 503,
  identity_unavailable: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** A field-level problem with a request: where it is and what to do about it. */
export interface FieldIssue {
  path: string;
  message: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly userMessage: string;
  readonly fields: FieldIssue[];
  /** For a passing fault (the database restarting): when trying again is worthwhile. */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, userMessage: string, options: { internal?: string; fields?: FieldIssue[]; cause?: unknown; retryAfterSeconds?: number } = {}) {
    super(options.internal ?? userMessage, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.userMessage = userMessage;
    this.fields = options.fields ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code];
  }
}

/** Not found and not allowed to know it exists look the same from outside. */
export function notFound(what: string): AppError {
  return new AppError('not_found', `${what} was not found.`);
}

export function forbidden(userMessage: string): AppError {
  return new AppError('forbidden', userMessage);
}

export function invalidInput(userMessage: string, fields: FieldIssue[] = []): AppError {
  return new AppError('invalid_input', userMessage, { fields });
}

export function invalidTransition(userMessage: string): AppError {
  return new AppError('invalid_transition', userMessage);
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
