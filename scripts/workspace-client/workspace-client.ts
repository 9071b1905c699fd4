import { startClientServer, type ClientPerson, type ClientServer, type ClientSpace, type SlashCommand } from './client-server.ts';
import { startFakeGoogleAdmin, type FakeGoogleAdmin } from './fake-google-admin.ts';
import { startFakeChatRest, type FakeChatRest, type FakeChatRestOptions } from './fake-chat-rest.ts';
import { startFakeGmailRest, type FakeGmailRest, type FakeGmailRestOptions } from './fake-gmail-rest.ts';
import { createGmailPages, type GmailMailboxSource } from './gmail-pages.ts';
import { startGoogleSigner, type GoogleSigner } from './google-signer.ts';
import { GOOGLE_GMAIL_PATH, SANDBOX_ADDON_OAUTH_CLIENT_ID, SANDBOX_CHAT_ACCESS_TOKEN } from '../../src/domain/google-workspace.ts';

/**
 * The local Workspace client in one call: a local Google signer (certificates + add-on ID tokens), the
 * fake Chat REST API the app posts to, the fake Gmail API holding everyone's mailbox (which the add-on reads
 * the open message from), and the web pages people click through: Chat conversations and Gmail with the
 * add-on. Returns the settings the app needs to trust the signer and to reach both fakes. Sandbox, demo and
 * tests only.
 */

export interface WorkspaceClientPerson extends ClientPerson {
  /** The app is installed for this person, so they have a DM with it. Default true. */
  hasDirectMessage?: boolean;
}

export interface WorkspaceClientOptions {
  /** The app's Chat endpoint the client POSTs events to (e.g. http://127.0.0.1:3000/api/google/chat). */
  appUrl: string;
  /** The endpoint URL configured for the app, the audience of the tokens. Default appUrl. */
  audience?: string;
  /** The Cloud project number of the add-on deployment. */
  projectNumber: string;
  people: WorkspaceClientPerson[];
  spaces?: ClientSpace[];
  commands?: Record<string, SlashCommand>;
  /** The fixed access token the app sends to the fake Chat API. Default: the one DSL Desk's sandbox sends. */
  accessToken?: string;
  /** Quotas of the fake Chat API. */
  chat?: Pick<FakeChatRestOptions, 'spaceWritesPerSecond' | 'projectWritesPerMinute'>;
  /** Port of the pages; default any free one. */
  port?: number;
  /** Ports of the fake Chat API and the certificates, for an app started separately with fixed settings. */
  chatPort?: number;
  certsPort?: number;
  appName?: string;
  /** The add-on's Gmail endpoint. Default: appUrl's origin + /api/google/gmail. */
  gmailUrl?: string;
  /** The Gmail endpoint URL configured in the deployment, the audience of the system tokens. Default gmailUrl. */
  gmailAudience?: string;
  /** The add-on's OAuth client id, the audience of the user ID tokens. Default: the sandbox's. */
  oauthClientId?: string;
  /** Messages put in people's mailboxes at the start (RFC 822), by person id, oldest first. */
  mailboxes?: Record<string, (string | Uint8Array)[]>;
  /** Port of the fake Gmail API, for an app started separately with fixed settings. */
  gmailPort?: number;
  /** Port of the fake Admin SDK (with `workspaceDomain`), likewise. */
  adminPort?: number;
  /** Quotas and clock of the fake Gmail API. */
  gmail?: Omit<FakeGmailRestOptions, 'port'>;
  /**
   * The Workspace domain's Admin SDK (Directory and Reports) as its admin sees it, for the app's school-wide Gmail
   * actions by delegation: the admin, and the accounts the Directory lists. With it, the fakes of the Admin SDK and
   * Gmail accept the sandbox's fixed delegated token for the domain, and mail sent to the domain is delivered.
   */
  workspaceDomain?: {
    domain: string;
    adminEmail: string;
    users: { id: string; email: string; fullName: string; creationTime: string; orgUnitPath?: string }[];
  };
}

export interface WorkspaceClient {
  /** The index page, listing everyone's conversations. */
  url: string;
  /** Page URLs per person id: their DM, each space they are in (by space id), and their Gmail. */
  pages: ClientServer['pages'];
  /**
   * The settings the app needs: GOOGLE_PROJECT_NUMBER, GOOGLE_CERTS_URL, GOOGLE_CHAT_API_ROOT_URL (the sandbox
   * sends the fixed token), GOOGLE_GMAIL_API_ROOT_URL and GOOGLE_ADDON_OAUTH_CLIENT_ID; with `workspaceDomain`, also
   * GOOGLE_API_ROOT_URL (the Admin SDK).
   */
  env: Record<string, string>;
  chat: FakeChatRest;
  gmail: FakeGmailRest;
  /** The Admin SDK of `workspaceDomain`, when given. */
  admin?: FakeGoogleAdmin;
  /** The Gmail endpoint the client posts the triggers to. */
  gmailUrl: string;
  signer: GoogleSigner;
  client: ClientServer;
  close(): Promise<void>;
}

export async function startWorkspaceClient(options: WorkspaceClientOptions): Promise<WorkspaceClient> {
  const signer = await startGoogleSigner(options.certsPort !== undefined ? { port: options.certsPort } : {});
  const spaces = options.spaces ?? [];
  const userOf = (id: string) => {
    const person = options.people.find((candidate) => candidate.id === id);
    if (!person) throw new Error(`unknown person ${id}`);
    return person.name;
  };
  let chat: FakeChatRest | undefined;
  let gmail: FakeGmailRest | undefined;
  let admin: FakeGoogleAdmin | undefined;
  const domain = options.workspaceDomain;
  try {
    gmail = await startFakeGmailRest({
      ...options.gmail,
      ...(options.gmailPort !== undefined ? { port: options.gmailPort } : {}),
      ...(domain ? { acceptSandboxDelegation: { domain: domain.domain }, deliverSentMail: { domain: domain.domain } } : {}),
    });
    if (domain) {
      // Large pages: the demo's Directory is small, and the app reads it as Google would answer.
      admin = await startFakeGoogleAdmin({ adminEmail: domain.adminEmail, acceptSandboxDelegation: true, pageSize: 500, ...(options.adminPort !== undefined ? { port: options.adminPort } : {}) });
      for (const user of domain.users) {
        // No CREATE_USER events: the accounts were there before DSL Desk was connected, so none is a new starter.
        admin.addUser({ id: user.id, email: user.email, fullName: user.fullName, creationTime: user.creationTime, ...(user.orgUnitPath ? { orgUnitPath: user.orgUnitPath } : {}) }, { event: false });
      }
    }
    for (const [personId, messages] of Object.entries(options.mailboxes ?? {})) {
      const person = options.people.find((candidate) => candidate.id === personId);
      if (!person) throw new Error(`mailboxes name an unknown person ${personId}`);
      for (const raw of messages) gmail.addMessage(person.email, raw);
    }
    const gmailUrl = options.gmailUrl ?? `${new URL(options.appUrl).origin}${GOOGLE_GMAIL_PATH}`;
    const oauthClientId = options.oauthClientId ?? SANDBOX_ADDON_OAUTH_CLIENT_ID;
    const gmailFake = gmail;
    const mailboxes: GmailMailboxSource = {
      // The inbox: what is not in the Bin or spam, newest first.
      messages: (mailbox) => gmailFake.messages(mailbox).filter((message) => message.labelIds.includes('INBOX')).reverse(),
      // On the homepage no message is open: only the user's OAuth token is sent.
      tokens: (mailbox, messageId) => {
        const tokens = gmailFake.addonTokens(mailbox, messageId ?? '');
        return messageId ? tokens : { userOAuthToken: tokens.userOAuthToken };
      },
    };
    const gmailPages = createGmailPages({
      gmailUrl,
      ...(options.gmailAudience ? { audience: options.gmailAudience } : {}),
      projectNumber: options.projectNumber,
      oauthClientId,
      people: options.people.map((person) => ({ id: person.id, displayName: person.displayName, email: person.email, subject: person.name.replace(/^users\//, '') })),
      mailboxes,
      signer,
      ...(options.appName ? { appName: options.appName } : {}),
    });
    chat = await startFakeChatRest({
      accessToken: options.accessToken ?? SANDBOX_CHAT_ACCESS_TOKEN,
      ...options.chat,
      ...(options.chatPort !== undefined ? { port: options.chatPort } : {}),
      app: { name: 'users/app', displayName: options.appName ?? 'DSL Desk' },
      spaces: spaces.map((space) => ({ name: space.name, displayName: space.displayName, members: space.members.map(userOf) })),
      directMessages: Object.fromEntries(options.people.filter((person) => person.hasDirectMessage !== false)
        .map((person) => [person.name, `spaces/dm-${person.id}`])),
    });
    const client = await startClientServer({
      appUrl: options.appUrl,
      ...(options.audience ? { audience: options.audience } : {}),
      projectNumber: options.projectNumber,
      people: options.people,
      spaces,
      ...(options.commands ? { commands: options.commands } : {}),
      ...(options.appName ? { appName: options.appName } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
      chat,
      signer,
      gmail: gmailPages,
    });
    const fake = chat;
    return {
      url: `${client.url}/`,
      pages: client.pages,
      env: {
        GOOGLE_PROJECT_NUMBER: options.projectNumber,
        GOOGLE_CERTS_URL: signer.certsUrl,
        GOOGLE_CHAT_API_ROOT_URL: fake.url,
        GOOGLE_GMAIL_API_ROOT_URL: gmailFake.rootUrl,
        GOOGLE_ADDON_OAUTH_CLIENT_ID: oauthClientId,
        ...(admin ? { GOOGLE_API_ROOT_URL: admin.rootUrl } : {}),
      },
      chat: fake,
      gmail: gmailFake,
      ...(admin ? { admin } : {}),
      gmailUrl,
      signer,
      client,
      async close() {
        await client.close();
        await fake.close();
        await gmailFake.close();
        await admin?.close();
        await signer.close();
      },
    };
  } catch (error) {
    await chat?.close();
    await gmail?.close();
    await admin?.close();
    await signer.close();
    throw error;
  }
}
