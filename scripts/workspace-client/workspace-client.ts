import { startClientServer, type ClientPerson, type ClientServer, type ClientSpace, type SlashCommand } from './client-server.ts';
import { startFakeChatRest, type FakeChatRest, type FakeChatRestOptions } from './fake-chat-rest.ts';
import { startGoogleSigner, type GoogleSigner } from './google-signer.ts';
import { SANDBOX_CHAT_ACCESS_TOKEN } from '../../src/domain/google-workspace.ts';

/**
 * The local Workspace client in one call: a local Google signer (certificates + add-on ID tokens), the
 * fake Chat REST API the app posts to, and the web pages people click through. Returns the settings the
 * app needs to trust the signer and to post to the fake. Sandbox, demo and tests only.
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
}

export interface WorkspaceClient {
  /** The index page, listing everyone's conversations. */
  url: string;
  /** Page URLs per person id: their DM, and each space they are in, by space id. */
  pages: ClientServer['pages'];
  /** The settings the app needs: GOOGLE_PROJECT_NUMBER, GOOGLE_CERTS_URL and GOOGLE_CHAT_API_ROOT_URL (the sandbox sends the fixed token). */
  env: Record<string, string>;
  chat: FakeChatRest;
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
  try {
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
    });
    const fake = chat;
    return {
      url: `${client.url}/`,
      pages: client.pages,
      env: {
        GOOGLE_PROJECT_NUMBER: options.projectNumber,
        GOOGLE_CERTS_URL: signer.certsUrl,
        GOOGLE_CHAT_API_ROOT_URL: fake.url,
      },
      chat: fake,
      signer,
      client,
      async close() {
        await client.close();
        await fake.close();
        await signer.close();
      },
    };
  } catch (error) {
    await chat?.close();
    await signer.close();
    throw error;
  }
}
