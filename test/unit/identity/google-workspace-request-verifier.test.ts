import { addonServiceAccountEmail, googleChatEndpointUrl } from '../../../src/domain/google-workspace.ts';
import { createGoogleWorkspaceRequestVerifier, WorkspaceRequestRefused, type GoogleWorkspaceRequestVerifier } from '../../../src/identity/google-workspace-request-verifier.ts';
import { startFakeIdentityProvider, type FakeIdentityProvider, type GoogleClaims } from '../../fakes/fake-identity-provider.ts';

const PROJECT = '123456789012';
const ENDPOINT = googleChatEndpointUrl('https://dsldesk.example-school.org.uk');
const SERVICE_AGENT = addonServiceAccountEmail(PROJECT);

let fake: FakeIdentityProvider;
let verifier: GoogleWorkspaceRequestVerifier;
let legacyVerifier: GoogleWorkspaceRequestVerifier;

beforeAll(async () => {
  fake = await startFakeIdentityProvider();
  verifier = createGoogleWorkspaceRequestVerifier({ certsUrl: fake.googleCertsUrl, audience: ENDPOINT, serviceAccountEmail: SERVICE_AGENT });
  legacyVerifier = createGoogleWorkspaceRequestVerifier({
    certsUrl: fake.googleCertsUrl,
    audience: ENDPOINT,
    serviceAccountEmail: SERVICE_AGENT,
    legacy: { projectNumber: PROJECT, certsUrl: fake.legacyChatCertsUrl },
  });
});

afterEach(() => {
  fake.setBehaviour('googleCerts', 'ok');
});

afterAll(async () => {
  await fake.close();
});

function addonClaims(extra: Partial<GoogleClaims> = {}): GoogleClaims {
  return { sub: '100000000000000000001', aud: ENDPOINT, email: SERVICE_AGENT, ...extra };
}

async function refusal(promise: Promise<unknown>, token?: string): Promise<WorkspaceRequestRefused> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(WorkspaceRequestRefused);
  const refused = error as WorkspaceRequestRefused;
  if (token) {
    expect(refused.reason).not.toContain(token);
    expect(refused.reason).not.toContain(token.split('.')[1]!);
  }
  expect(refused.reason).not.toContain(SERVICE_AGENT);
  return refused;
}

describe('Google Workspace add-on request verification', () => {
  it('accepts a token Google signed for our endpoint and our own service agent', async () => {
    const token = await fake.mintGoogleToken(addonClaims());
    await expect(verifier.verify(`Bearer ${token}`)).resolves.toEqual({ kind: 'addon' });
  });

  it('refuses a token of another add-on project (same email shape, another project number)', async () => {
    const token = await fake.mintGoogleToken(addonClaims({ email: addonServiceAccountEmail('999999999999') }));
    expect((await refusal(verifier.verify(`Bearer ${token}`), token)).reason).toMatch(/another project/);
  });

  it('refuses a token for another endpoint URL', async () => {
    const token = await fake.mintGoogleToken(addonClaims({ aud: 'https://attacker.example/api/google/chat' }));
    expect((await refusal(verifier.verify(`Bearer ${token}`), token)).reason).toMatch(/another endpoint/);
  });

  it('refuses the endpoint URL with a trailing slash: the audience is compared exactly', async () => {
    const token = await fake.mintGoogleToken(addonClaims({ aud: `${ENDPOINT}/` }));
    expect((await refusal(verifier.verify(`Bearer ${token}`), token)).reason).toMatch(/another endpoint/);
  });

  it('refuses an expired token', async () => {
    const token = await fake.mintGoogleToken(addonClaims(), { expiresInSeconds: -3600 });
    expect((await refusal(verifier.verify(`Bearer ${token}`), token)).reason).toMatch(/expired/);
  });

  it('refuses a token whose email is not verified', async () => {
    const token = await fake.mintGoogleToken(addonClaims({ email_verified: false }));
    expect((await refusal(verifier.verify(`Bearer ${token}`), token)).reason).toMatch(/not verified/);
  });

  it('refuses a forged signature, alg none and a missing token', async () => {
    const forged = await fake.mintGoogleToken(addonClaims(), { signWith: 'untrusted' });
    expect((await refusal(verifier.verify(`Bearer ${forged}`), forged)).reason).toMatch(/not a valid Google ID token/);
    const unsigned = await fake.mintGoogleToken(addonClaims(), { alg: 'none' });
    expect((await refusal(verifier.verify(`Bearer ${unsigned}`))).reason).toMatch(/RS256/);
    expect((await refusal(verifier.verify(undefined))).reason).toMatch(/no bearer token/);
    expect((await refusal(verifier.verify('Bearer not-a-jwt'))).reason).toMatch(/not a JWT/);
  });

  it('refuses a legacy Chat token at the add-on endpoint unless legacy tokens are switched on', async () => {
    const token = await fake.mintLegacyChatToken({ aud: PROJECT });
    expect((await refusal(verifier.verify(`Bearer ${token}`), token)).reason).toMatch(/legacy Chat app tokens are not accepted/);
    await expect(legacyVerifier.verify(`Bearer ${token}`)).resolves.toEqual({ kind: 'legacy_chat' });
  });

  it('refuses a legacy Chat token for another project, even with legacy tokens on', async () => {
    const token = await fake.mintLegacyChatToken({ aud: '999999999999' });
    expect((await refusal(legacyVerifier.verify(`Bearer ${token}`), token)).reason).toMatch(/another project/);
  });

  it('refuses an ID token of the legacy Chat account (URL audience), which is not our add-on', async () => {
    const token = await fake.mintGoogleToken(addonClaims({ email: 'chat@system.gserviceaccount.com' }));
    expect((await refusal(verifier.verify(`Bearer ${token}`), token)).reason).toMatch(/legacy Chat app token/);
  });

  it('says the keys are unavailable (not a forgery) when Google cannot be reached', async () => {
    const fresh = createGoogleWorkspaceRequestVerifier({ certsUrl: fake.googleCertsUrl, audience: ENDPOINT, serviceAccountEmail: SERVICE_AGENT, fetchTimeoutMs: 500 });
    fake.setBehaviour('googleCerts', 'fail');
    const token = await fake.mintGoogleToken(addonClaims());
    expect((await refusal(fresh.verify(`Bearer ${token}`), token)).unavailable).toBe(true);
  });
});
