import { AuthError, ConfidentialClientApplication, ServerError, type INetworkModule } from '@azure/msal-node';
import { AppError } from '../../domain/errors.ts';

/** DSL Desk's app registration and where Microsoft's endpoints are: what every app-only Graph client needs. */
export interface GraphAppCredentials {
  clientId: string;
  clientSecret: string;
  loginUrl: string;
  graphUrl: string;
  networkClient?: INetworkModule;
  timeoutMs?: number;
}

export interface GraphAppClientOptions extends GraphAppCredentials {
  /** What the school is told when Entra will not issue DSL Desk a token for its tenant (usually: no admin consent yet). */
  notConsentedMessage: string;
}

export interface GraphAppClient {
  /** The Graph base URL without a trailing slash, e.g. https://graph.microsoft.com. */
  readonly graphUrl: string;
  /**
   * An app-only Graph token for the tenant; a refusal is AppError('forbidden'), Entra being unreachable
   * AppError('unavailable'), each with the MSAL error as its cause.
   */
  tokenFor(tenantId: string): Promise<string>;
  /** One Graph request as DSL Desk itself: `path` is relative to graphUrl, or a full link Graph handed out. */
  call(tenantId: string, path: string, init?: RequestInit): Promise<Response>;
}

/**
 * DSL Desk's own (app-only) access to Microsoft Graph in a school's tenant: client credentials, one MSAL
 * client per tenant so each keeps its own token cache, and a timeout on every request.
 */
export function createGraphAppClient(options: GraphAppClientOptions): GraphAppClient {
  const graph = options.graphUrl.replace(/\/$/, '');
  const clients = new Map<string, ConfidentialClientApplication>();
  const tokenFor = async (tenantId: string): Promise<string> => {
    let client = clients.get(tenantId);
    if (!client) {
      client = new ConfidentialClientApplication({
        auth: { clientId: options.clientId, clientSecret: options.clientSecret, authority: `${options.loginUrl.replace(/\/$/, '')}/${encodeURIComponent(tenantId)}`, knownAuthorities: [new URL(options.loginUrl).host] },
        ...(options.networkClient ? { system: { networkClient: options.networkClient } } : {}),
      });
      clients.set(tenantId, client);
    }
    try {
      const result = await client.acquireTokenByClientCredential({ scopes: [`${graph}/.default`] });
      if (!result?.accessToken) throw new Error('no access token');
      return result.accessToken;
    } catch (error) {
      // Entra unreachable (or failing) is not Entra saying no: asking IT for consent would send them the wrong way.
      if (isTransientTokenFailure(error)) {
        throw new AppError('unavailable', 'Microsoft’s sign-in service could not be reached just now. Try again in a few minutes; nothing needs changing.', {
          cause: error,
          internal: 'client credentials: Entra unreachable',
        });
      }
      throw new AppError('forbidden', options.notConsentedMessage, { cause: error, internal: 'client credentials refused' });
    }
  };
  const call = async (tenantId: string, path: string, init: RequestInit = {}): Promise<Response> => {
    const token = await tokenFor(tenantId);
    return fetch(path.startsWith('http') ? path : `${graph}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string> | undefined) },
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
  };
  return { graphUrl: graph, tokenFor, call };
}

/**
 * Whether a token refusal was Entra being unreachable or failing, rather than Entra saying no: the first
 * clears by itself and is worth retrying, the second needs IT (consent, a secret that expired).
 */
export function isTransientTokenFailure(error: unknown): boolean {
  const cause = error instanceof AppError ? error.cause : error;
  if (cause instanceof ServerError) return cause.status === undefined ? false : cause.status >= 500 || cause.status === 429;
  if (cause instanceof AuthError) return cause.errorCode === 'network_error' || cause.errorCode === 'endpoints_resolution_error';
  return false;
}
