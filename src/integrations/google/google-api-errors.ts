/**
 * Reading a failed Google API call (a gaxios error, or a failed token request of a delegated identity) the
 * same way in every Google adapter: its HTTP status, the OAuth error of a token request, Google's reasons,
 * whether it is a quota, and how long Google asked us to wait. Nothing here keeps Google's own message.
 */

/** Answers worth trying again later: a timeout, a quota, Google's own faults. */
export const TRANSIENT_GOOGLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** Google's reasons for a quota, sent with 403 as often as with 429. */
const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded', 'concurrentLimitExceeded', 'RATE_LIMIT_EXCEEDED']);

export function googleStatusOf(error: unknown): number | undefined {
  const candidate = error as { status?: unknown; response?: { status?: unknown } } | undefined;
  const status = candidate?.response?.status ?? candidate?.status;
  return typeof status === 'number' ? status : undefined;
}

/** The OAuth error code of a failed token request (`{"error":"unauthorized_client",…}`), when this was one. */
export function googleTokenErrorOf(error: unknown): string | undefined {
  const data = (error as { response?: { data?: unknown } } | undefined)?.response?.data;
  if (data && typeof data === 'object' && typeof (data as { error?: unknown }).error === 'string') return (data as { error: string }).error;
  return undefined;
}

/** The `reason` of each entry of Google's error body: the older `errors[]` and the newer `details[]` (ErrorInfo). */
export function googleErrorReasonsOf(error: unknown): string[] {
  const data = (error as { response?: { data?: { error?: { errors?: { reason?: unknown }[]; details?: { reason?: unknown }[] } } } } | undefined)?.response?.data;
  const entries = [...(Array.isArray(data?.error?.errors) ? data.error.errors : []), ...(Array.isArray(data?.error?.details) ? data.error.details : [])];
  return entries.flatMap((entry) => (typeof entry?.reason === 'string' ? [entry.reason] : []));
}

/** A quota: 429, or a 403 whose reason is a rate limit (which is not a refusal). */
export function isGoogleRateLimit(error: unknown): boolean {
  const status = googleStatusOf(error);
  return status === 429 || (status === 403 && googleErrorReasonsOf(error).some((reason) => RATE_LIMIT_REASONS.has(reason)));
}

/** Google's Retry-After (seconds or an HTTP date), as whole seconds, when it sent one. */
export function googleRetryAfter(error: unknown): { retryAfterSeconds?: number } {
  const headers = (error as { response?: { headers?: unknown } } | undefined)?.response?.headers;
  const value =
    headers && typeof headers === 'object' && 'get' in headers && typeof (headers as Headers).get === 'function'
      ? (headers as Headers).get('retry-after')
      : (headers as Record<string, string> | undefined)?.['retry-after'];
  if (!value) return {};
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return { retryAfterSeconds: Math.ceil(seconds) };
  const at = Date.parse(value);
  return Number.isNaN(at) ? {} : { retryAfterSeconds: Math.max(0, Math.ceil((at - Date.now()) / 1000)) };
}
