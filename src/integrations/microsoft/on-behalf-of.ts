import { ConfidentialClientApplication, type INetworkModule } from '@azure/msal-node';
import { AppError } from '../../domain/errors.ts';

export interface OnBehalfOfOptions {
  clientId: string;
  clientSecret: string;
  /** The Entra authority host, e.g. https://login.microsoftonline.com (national clouds differ). */
  loginUrl: string;
  /** The downstream API's scope, e.g. https://graph.microsoft.com/.default. */
  scope: string;
  /** MSAL's HTTP client; only tests replace it, to reach a local identity provider. */
  networkClient?: INetworkModule;
}

/** Exchanges a signed-in person's token for one to call Graph as them. */
export type OnBehalfOfTokens = (userAssertion: string, tenantId: string) => Promise<string>;

/**
 * The on-behalf-of flow with MSAL: Graph then acts as the reporter, so Microsoft itself enforces whether
 * they may read the mailbox they reported from (their own, or a shared one such as office@). One MSAL
 * client per tenant, each with its own token cache.
 */
export function createOnBehalfOfTokens(options: OnBehalfOfOptions): OnBehalfOfTokens {
  const clients = new Map<string, ConfidentialClientApplication>();
  const host = new URL(options.loginUrl).host;
  const clientFor = (tenantId: string) => {
    let client = clients.get(tenantId);
    if (!client) {
      client = new ConfidentialClientApplication({
        auth: {
          clientId: options.clientId,
          clientSecret: options.clientSecret,
          authority: `${options.loginUrl.replace(/\/$/, '')}/${encodeURIComponent(tenantId)}`,
          // The configured host is trusted as given (national clouds, or a test provider) without a discovery call.
          knownAuthorities: [host],
        },
        ...(options.networkClient ? { system: { networkClient: options.networkClient } } : {}),
      });
      clients.set(tenantId, client);
    }
    return client;
  };
  return async (userAssertion, tenantId) => {
    try {
      const result = await clientFor(tenantId).acquireTokenOnBehalfOf({ oboAssertion: userAssertion, scopes: [options.scope] });
      if (!result?.accessToken) throw new Error('no access token in the on-behalf-of answer');
      return result.accessToken;
    } catch (error) {
      const text = error instanceof Error ? `${error.name} ${error.message}` : String(error);
      if (/AADSTS65001|consent_required|invalid_grant/.test(text)) {
        throw new AppError('forbidden', 'DSL Desk is not allowed to read mailboxes for your school yet. Ask IT to grant admin consent for DSL Desk, or report the email from the Report button instead.', {
          internal: 'on-behalf-of refused',
          cause: error,
        });
      }
      throw new AppError('unavailable', 'Microsoft sign-in did not answer. Try again in a minute; your note is kept.', { internal: 'on-behalf-of failed', cause: error });
    }
  };
}
