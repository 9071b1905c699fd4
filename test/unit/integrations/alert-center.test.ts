import { describeAlertCenterError, reportedPhishingAlertOf } from '../../../src/integrations/google/alert-center.ts';

const gaxiosError = (status: number, data: unknown = {}, headers: Record<string, string> = {}) => Object.assign(new Error('request failed'), { status, response: { status, data, headers } });

describe('reading a "User reported phishing" alert', () => {
  const alert = {
    alertId: 'alert-1',
    createTime: '2026-12-07T08:30:00.123456Z',
    type: 'User reported phishing',
    source: 'Gmail phishing',
    data: {
      '@type': 'type.googleapis.com/google.apps.alertcenter.type.MailPhishing',
      maliciousEntity: { fromHeader: 'x@example.net' },
      messages: [
        { messageId: '<a@example.net>', recipient: 'Staff@Oakfield.example.org', subjectText: 'Gift cards', md5HashMessageBody: 'ab' },
        { messageId: '', recipient: 'staff2@oakfield.example.org' },
        { messageId: '<b@example.net>' },
      ],
    },
  };

  test('keeps the id, the time and each usable message’s Message-ID and recipient: nothing of the subject or sender', () => {
    const read = reportedPhishingAlertOf(alert);
    expect(read).toEqual({ alertId: 'alert-1', createTime: '2026-12-07T08:30:00.123Z', messages: [{ messageId: '<a@example.net>', recipient: 'staff@oakfield.example.org' }] });
    expect(JSON.stringify(read)).not.toMatch(/Gift|x@example/);
  });

  test('another type, a deleted alert or one without a time is not a report', () => {
    expect(reportedPhishingAlertOf({ ...alert, type: 'Suspicious login' })).toBeUndefined();
    expect(reportedPhishingAlertOf({ ...alert, deleted: true })).toBeUndefined();
    expect(reportedPhishingAlertOf({ ...alert, createTime: 'soon' })).toBeUndefined();
    expect(reportedPhishingAlertOf({ ...alert, data: null })).toEqual({ alertId: 'alert-1', createTime: '2026-12-07T08:30:00.123Z', messages: [] });
  });
});

describe('Alert Center failures', () => {
  test('a refusal or a missing delegation needs the operator, and says what to do in the Admin console', () => {
    for (const error of [gaxiosError(403, { error: { code: 403, status: 'PERMISSION_DENIED' } }), gaxiosError(401), gaxiosError(400, { error: 'unauthorized_client' })]) {
      const described = describeAlertCenterError(error);
      expect(described.code).toBe('forbidden');
      expect(described.userMessage).toContain('https://www.googleapis.com/auth/apps.alerts');
      expect(described.userMessage).toContain('Domain-wide delegation');
    }
  });

  test('throttling and faults are tried at the next poll, after Google’s Retry-After', () => {
    expect(describeAlertCenterError(gaxiosError(429, {}, { 'retry-after': '30' }))).toMatchObject({ code: 'unavailable', retryAfterSeconds: 30 });
    expect(describeAlertCenterError(gaxiosError(403, { error: { errors: [{ reason: 'rateLimitExceeded' }] } }))).toMatchObject({ code: 'unavailable' });
    expect(describeAlertCenterError(gaxiosError(503)).code).toBe('unavailable');
    expect(describeAlertCenterError(new Error('socket hang up')).code).toBe('unavailable');
  });
});
