import { createdUsersOf, describeGoogleAdminError, workspaceUserOf } from '../../../src/integrations/google/google-directory.ts';
import { ADMIN_DIRECTORY_USER_SCOPE, ADMIN_REPORTS_SCOPE } from '../../../src/domain/google-workspace.ts';

const gaxiosError = (status: number, data: unknown, headers: Record<string, string> = {}) => Object.assign(new Error('Google said something naming someone@school.example.org'), { status, response: { status, data, headers } });

describe('the Admin SDK adapter', () => {
  test('sorts failures: a refused delegation names the scope and the setting; quotas and faults are tried later with Retry-After', () => {
    const refused = describeGoogleAdminError('reports', gaxiosError(403, { error: { code: 403, errors: [{ reason: 'forbidden' }] } }));
    expect(refused).toMatchObject({ code: 'forbidden' });
    expect(refused.userMessage).toContain('Domain-wide delegation');
    expect(refused.userMessage).toContain(`missing here: ${ADMIN_REPORTS_SCOPE}`);
    expect(refused.userMessage).not.toContain('someone@');
    // The token endpoint refusing the service account: delegation not granted for these scopes.
    const token = describeGoogleAdminError('directory', gaxiosError(401, { error: 'unauthorized_client', error_description: 'Client is unauthorized to retrieve access tokens using this method' }));
    expect(token).toMatchObject({ code: 'forbidden' });
    expect(token.userMessage).toContain(`missing here: ${ADMIN_DIRECTORY_USER_SCOPE}`);
    expect(describeGoogleAdminError('reports', gaxiosError(403, { error: { errors: [{ reason: 'userRateLimitExceeded' }] } }))).toMatchObject({ code: 'unavailable' });
    expect(describeGoogleAdminError('reports', gaxiosError(429, {}, { 'retry-after': '30' }))).toMatchObject({ code: 'unavailable', retryAfterSeconds: 30 });
    expect(describeGoogleAdminError('directory', gaxiosError(503, {}))).toMatchObject({ code: 'unavailable' });
    expect(describeGoogleAdminError('directory', new TypeError('fetch failed'))).toMatchObject({ code: 'unavailable' });
  });

  test('reads CREATE_USER events and users as Google sends them, skipping what is not one', () => {
    const events = createdUsersOf({
      id: { time: '2026-10-06T08:05:00.123Z', uniqueQualifier: '-42' },
      events: [
        { name: 'CREATE_USER', parameters: [{ name: 'USER_EMAIL', value: 'Nia.New@School.example.org' }] },
        { name: 'CHANGE_PASSWORD', parameters: [{ name: 'USER_EMAIL', value: 'x@school.example.org' }] },
        { name: 'CREATE_USER', parameters: [] },
      ],
    });
    expect(events).toEqual([{ key: '2026-10-06T08:05:00.123Z/-42/0', time: '2026-10-06T08:05:00.123Z', email: 'nia.new@school.example.org' }]);
    expect(createdUsersOf({ events: [{ name: 'CREATE_USER' }] })).toEqual([]);
    expect(workspaceUserOf({ id: '1', primaryEmail: 'A@School.example.org', name: { fullName: ' Amy A ' }, creationTime: '2026-10-06T08:05:00Z', organizations: [{ title: 'x' }, { primary: true, title: 'Teacher' }] })).toEqual({
      id: '1',
      primaryEmail: 'a@school.example.org',
      fullName: 'Amy A',
      orgUnitPath: '/',
      creationTime: '2026-10-06T08:05:00.000Z',
      suspended: false,
      archived: false,
      department: null,
      jobTitle: 'Teacher',
    });
    expect(workspaceUserOf({ primaryEmail: 'a@school.example.org' })).toBeUndefined();
  });
});
