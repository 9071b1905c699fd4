import { isAppError } from '../../../src/domain/errors.ts';
import { createAuthenticator } from '../../../src/identity/authenticate-request.ts';

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isAppError(error)) return { code: error.code, message: error.userMessage };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('messages use the names people typed', () => {
  test('messages use the names people typed: the sandbox’s 401 names the header a local client must send', async () => {
    const sandbox = createAuthenticator({ sandbox: { defaultSchoolSlug: 'demo-school' } });
    const none = await refusal(sandbox({ remoteAddress: '127.0.0.1' }));
    expect(none.code).toBe('unauthenticated');
    expect(none.message).toContain('X-DSL-Desk-Sandbox-User');
    expect(none.message).toContain('X-DSL-Desk-Sandbox-User: teacher@demo-school.test');
    const empty = await refusal(sandbox({ sandboxUser: '  ', remoteAddress: '127.0.0.1' }));
    expect(empty.message).toMatch(/^The X-DSL-Desk-Sandbox-User header is empty/);
    // And it still works with the header.
    await expect(sandbox({ sandboxUser: 'Teacher@Demo-School.test', remoteAddress: '::1' })).resolves.toMatchObject({ provider: 'sandbox', subject: 'teacher@demo-school.test', tenantId: 'demo-school' });
  });

  test('messages use the names people typed: outside the sandbox the 401 never mentions the sandbox header', async () => {
    const production = createAuthenticator({});
    const none = await refusal(production({ remoteAddress: '127.0.0.1' }));
    expect(none).toEqual({ code: 'unauthenticated', message: 'Sign in first: send an Authorization: Bearer token.' });
    const header = await refusal(production({ sandboxUser: 'teacher@demo-school.test', remoteAddress: '127.0.0.1' }));
    expect(header.message).not.toMatch(/sandbox/i);
  });
});
