import { googleErrorReasonsOf, googleRetryAfter, googleStatusOf, googleTokenErrorOf, isGoogleRateLimit } from '../../../src/integrations/google/google-api-errors.ts';
import { describeGmailError } from '../../../src/integrations/google/gmail-message-reader.ts';

/** A failed call as gaxios reports it: the response's status, headers and Google's error body. */
function failure(status: number, data: unknown, headers: Record<string, string> = {}) {
  return Object.assign(new Error('request failed'), { status, response: { status, data, headers: new Headers(headers) } });
}
const googleBody = (reason: string) => ({ error: { code: 403, message: 'Google says no', status: 'PERMISSION_DENIED', errors: [{ reason, domain: 'usageLimits', message: 'Google says no' }] } });

describe('reading a failed Google API call', () => {
  test('a 403 with a rate-limit reason is a quota, a plain 403 is a refusal, and 429 is always a quota', () => {
    expect(isGoogleRateLimit(failure(403, googleBody('userRateLimitExceeded')))).toBe(true);
    expect(isGoogleRateLimit(failure(403, googleBody('insufficientPermissions')))).toBe(false);
    expect(isGoogleRateLimit(failure(429, {}))).toBe(true);
    expect(googleErrorReasonsOf(failure(403, googleBody('quotaExceeded')))).toEqual(['quotaExceeded']);
  });

  test('Retry-After in seconds or as a date, the status, and the OAuth error of a token request', () => {
    expect(googleRetryAfter(failure(429, {}, { 'retry-after': '7' }))).toEqual({ retryAfterSeconds: 7 });
    const inAMinute = new Date(Date.now() + 60_000).toUTCString();
    expect(googleRetryAfter(failure(503, {}, { 'retry-after': inAMinute })).retryAfterSeconds).toBeGreaterThanOrEqual(58);
    expect(googleRetryAfter(failure(503, {}))).toEqual({});
    expect(googleStatusOf(failure(404, {}))).toBe(404);
    expect(googleStatusOf(new Error('socket hang up'))).toBeUndefined();
    expect(googleTokenErrorOf(failure(401, { error: 'unauthorized_client', error_description: 'Client is unauthorized' }))).toBe('unauthorized_client');
  });

  test('the Gmail add-on tells a reporter hitting a quota 403 to try again in a minute, not that Gmail refused', () => {
    const quota = describeGmailError('raw', failure(403, googleBody('userRateLimitExceeded'), { 'retry-after': '30' }));
    expect(quota).toMatchObject({ code: 'rate_limited', retryAfterSeconds: 30 });
    expect(quota.userMessage).toContain('Try again in a minute');
    expect(quota.userMessage).not.toContain('Google says no');
    expect(describeGmailError('raw', failure(403, googleBody('insufficientPermissions'))).code).toBe('forbidden');
  });
});
