/**
 * Who is reporting: an Entra ID access token for DSL Desk's API, obtained with MSAL.js nested app
 * authentication (the Outlook client brokers the sign-in; no legacy Exchange tokens). In the local sandbox
 * (the page is served from 127.0.0.1) there is no Entra: the sandbox header names a demo person instead,
 * and DSL Desk accepts that header only in sandbox mode and only from the loopback address.
 */
import type { IPublicClientApplication } from '@azure/msal-browser';
import { SignInProblem } from './api.ts';
import type { AddinConfig } from './config.ts';

export const SANDBOX_USER_HEADER = 'X-DSL-Desk-Sandbox-User';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function isSandboxHost(hostname: string | undefined): boolean {
  return hostname !== undefined && LOOPBACK.has(hostname);
}

export interface Auth {
  mode: 'sandbox' | 'entra';
  /** Headers that identify the reporter. `interactive` allows a sign-in window (task pane only). Throws SignInProblem. */
  headers(options?: { interactive?: boolean }): Promise<Record<string, string>>;
}

type MsalModule = Pick<typeof import('@azure/msal-browser'), 'createNestablePublicClientApplication'>;

function isInteractionRequired(error: unknown): boolean {
  const { name, errorCode } = (error ?? {}) as { name?: unknown; errorCode?: unknown };
  if (name === 'InteractionRequiredAuthError') return true;
  return typeof errorCode === 'string' && ['interaction_required', 'consent_required', 'login_required', 'no_account_error', 'no_tokens_found'].includes(errorCode);
}

export function createAuth(config: AddinConfig, hostname: string | undefined, loadMsal: () => Promise<MsalModule>): Auth {
  if (isSandboxHost(hostname)) {
    return { mode: 'sandbox', headers: async () => ({ [SANDBOX_USER_HEADER]: config.sandboxUser }) };
  }
  let client: Promise<IPublicClientApplication> | undefined;
  const getClient = () => {
    if (!config.clientId || !config.apiScope) {
      return Promise.reject(new SignInProblem('This copy of the add-in was built without its sign-in settings. Tell your IT team (ENTRA_CLIENT_ID is missing).'));
    }
    client ??= loadMsal().then((msal) =>
      msal.createNestablePublicClientApplication({
        auth: { clientId: config.clientId, authority: config.authority },
      } as Parameters<MsalModule['createNestablePublicClientApplication']>[0]),
    );
    client.catch(() => {
      client = undefined;
    });
    return client;
  };
  return {
    mode: 'entra',
    headers: async (options = {}) => {
      const scopes = [config.apiScope];
      let pca: IPublicClientApplication;
      try {
        pca = await getClient();
      } catch (error) {
        if (error instanceof SignInProblem) throw error;
        throw new SignInProblem('Outlook could not start DSL Desk\'s sign-in. Press Retry; if it keeps happening, tell your IT team.');
      }
      try {
        const account = pca.getActiveAccount() ?? pca.getAllAccounts()[0];
        const result = await pca.acquireTokenSilent({ scopes, ...(account ? { account } : {}) });
        return { Authorization: `Bearer ${result.accessToken}` };
      } catch (error) {
        if (!options.interactive || !isInteractionRequired(error)) {
          throw new SignInProblem(
            isInteractionRequired(error)
              ? 'DSL Desk needs you to sign in once. Open "Report to DSL" from the ribbon and press the button there to sign in; nothing was sent yet.'
              : 'DSL Desk could not get a sign-in token from Outlook, so nothing was sent. Press Retry; if it keeps happening, tell your IT team.',
          );
        }
      }
      try {
        const result = await pca.acquireTokenPopup({ scopes });
        return { Authorization: `Bearer ${result.accessToken}` };
      } catch {
        throw new SignInProblem('Signing in to DSL Desk did not finish, so nothing was sent. Press Retry to try again.');
      }
    },
  };
}
