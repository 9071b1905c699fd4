import { randomUUID } from 'node:crypto';
import { PLAYGROUND_BOT, PLAYGROUND_CONVERSATIONS, PLAYGROUND_NAMES, PLAYGROUND_TENANT_ID } from './identities.ts';
import type { PlaygroundPerson } from './identities.ts';

/**
 * Talks to a running Microsoft 365 Agents Playground without its web page: its internal HTTP endpoints
 * (messages as the current user, messages as any mock member, card actions as any mock member) and its
 * conversation WebSocket (every message and edit the bot makes). Used by `npm run demo` and the
 * end-to-end tests. These endpoints are the playground's own, not a published interface: docs/playground.md
 * records what they were in the version we use (0.2.28).
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns something other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 15000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------------------------------
// Adaptive Card JSON

export interface CardInput {
  type: string;
  id: string;
  label?: string;
  placeholder?: string;
  title?: string;
  style?: string;
  isMultiSelect?: boolean;
  choices?: { title: string; value: string }[];
  valueOn?: string;
  valueOff?: string;
}

export interface CardAction {
  type: string;
  title?: string;
  verb?: string;
  data?: Record<string, unknown>;
}

function walk(node: unknown, visit: (item: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const item = node as Record<string, unknown>;
  visit(item);
  for (const key of ['body', 'items', 'columns', 'actions', 'card', 'inlineAction', 'selectAction']) walk(item[key], visit);
}

/** Every input in a card (including inside containers, columns and Action.ShowCard), in order. */
export function cardInputs(card: unknown): CardInput[] {
  const found: CardInput[] = [];
  walk(card, (item) => {
    if (typeof item.type === 'string' && item.type.startsWith('Input.') && typeof item.id === 'string') found.push(item as unknown as CardInput);
  });
  return found;
}

/** Every Action.Execute / Action.Submit in a card, wherever it sits. */
export function cardActions(card: unknown): CardAction[] {
  const found: CardAction[] = [];
  walk(card, (item) => {
    if (item.type === 'Action.Execute' || item.type === 'Action.Submit') found.push(item as unknown as CardAction);
  });
  return found;
}

/** All the text a card shows (TextBlocks, TextRuns, FactSet facts, titles), as one string. */
export function cardText(card: unknown): string {
  const parts: string[] = [];
  walk(card, (item) => {
    for (const key of ['text', 'title', 'value']) if (typeof item[key] === 'string' && item.type !== 'Input.Text') parts.push(item[key] as string);
    if (Array.isArray(item.facts)) for (const fact of item.facts as { title?: string; value?: string }[]) parts.push(`${fact.title ?? ''} ${fact.value ?? ''}`);
    if (Array.isArray(item.inlines)) for (const run of item.inlines as { text?: string }[]) if (typeof run.text === 'string') parts.push(run.text);
  });
  return parts.join('\n');
}

// ---------------------------------------------------------------------------------------------------
// WebSocket: what the bot sends

export interface StreamMessage {
  action: string;
  /** The conversation the UI files it under: a chat id, a channel id (new post) or a thread id. */
  conversationId: string;
  /** Where it lives for card actions: the thread `<channel>;messageid=<post>` for channel posts. */
  threadId: string;
  messageId: string;
  text: string;
  attachments: { contentType: string; content: any }[];
  raw: any;
}

/** Records the playground's conversation stream: every message the bot posts or edits, in order. */
export class ConversationStream {
  readonly events: StreamMessage[] = [];
  private socket: WebSocket;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.addEventListener('message', (event) => {
      let frame: any;
      try {
        frame = JSON.parse(String(event.data));
      } catch {
        return;
      }
      if (!frame?.message) return;
      const message = frame.message;
      this.events.push({
        action: String(frame.action),
        conversationId: String(frame.actionConversationId),
        threadId: String(message.postConversationId ?? frame.actionConversationId),
        messageId: String(message.messageId),
        text: typeof message.text === 'string' ? message.text : '',
        attachments: Array.isArray(message.attachments) ? message.attachments : [],
        raw: frame,
      });
    });
  }

  static async connect(baseUrl: string): Promise<ConversationStream> {
    const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/_ws_conversation/v1/conversations/stream`);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener('open', () => resolve(), { once: true });
      socket.addEventListener('error', () => reject(new Error(`Could not open the playground's conversation stream at ${baseUrl}.`)), { once: true });
    });
    return new ConversationStream(socket);
  }

  /** Messages in a conversation: a chat, or a channel including its threads. */
  inConversation(conversationId: string): StreamMessage[] {
    return this.events.filter((event) => event.conversationId === conversationId || event.conversationId.startsWith(`${conversationId};messageid=`));
  }

  /** The first event (from `after` on) that matches, waiting for it if need be. */
  waitFor(match: (event: StreamMessage) => boolean, what: string, options: { timeoutMs?: number; after?: number } = {}): Promise<StreamMessage> {
    return eventually(() => this.events.slice(options.after ?? 0).find(match), what, options.timeoutMs ?? 15000);
  }

  /** Text and card text of a message, for matching. */
  static textOf(event: StreamMessage): string {
    return [event.text, ...event.attachments.map((attachment) => cardText(attachment.content))].join('\n');
  }

  /** The Adaptive Card of a message, if it has one. */
  static cardOf(event: StreamMessage): any {
    return event.attachments.find((attachment) => attachment.contentType === 'application/vnd.microsoft.card.adaptive')?.content;
  }

  close(): void {
    this.socket.close();
  }
}

// ---------------------------------------------------------------------------------------------------
// HTTP: acting without the web page

export interface InvokeResult {
  type: string;
  value: any;
}

function conversationShape(conversationId: string): { conversationType: string; isGroup?: boolean; channelId?: string } {
  const base = conversationId.split(';')[0] ?? conversationId;
  if (base === PLAYGROUND_CONVERSATIONS.personalChat) return { conversationType: 'personal' };
  if (base === PLAYGROUND_CONVERSATIONS.groupChat) return { conversationType: 'groupChat', isGroup: true };
  return { conversationType: 'channel', isGroup: true, channelId: base };
}

export class PlaygroundApi {
  readonly baseUrl: string;

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
  }

  private async call(method: string, path: string, body?: unknown): Promise<any> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`Agents Playground ${method} ${path} answered ${response.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  /** The playground's configuration (people, chats, team). It first waits up to 15 s for the bot to answer. */
  config(): Promise<any> {
    return this.call('GET', '/_internal/v1/config');
  }

  /**
   * Sends a message as the playground's current user (the only sender this endpoint supports: it checks
   * `from.id` but always delivers as the current user). In a channel, a message without a mention of the
   * bot is kept but not delivered to the bot. Returns the new message's id and, in a channel, its thread.
   */
  sendMessage(conversationId: string, text: string, options: { fromId: string; mentionBot?: boolean }): Promise<{ messageId: string; postConversationId?: string }> {
    const mention = `<at>${PLAYGROUND_BOT.name}</at>`;
    return this.call('POST', `/_conversation/v1/conversations/${encodeURIComponent(conversationId)}/messages`, {
      from: { id: options.fromId },
      text: options.mentionBot ? `${mention} ${text}` : text,
      textFormat: 'plain',
      ...(options.mentionBot ? { mentions: [{ mentioned: { id: PLAYGROUND_BOT.id, name: PLAYGROUND_BOT.name }, text: mention }] } : {}),
    });
  }

  /**
   * Sends a message to the bot as any mock member, in the team's channels or the group chat, by posting a
   * complete activity to the playground's custom-activity endpoint, which forwards it to the bot as is.
   * The web page does not show the sender's message, only what the bot answers. A `conversationId` of a
   * channel starts a new thread with the bot's reply; `<channel>;messageid=<post>` answers in that thread.
   * Returns the activity that was sent.
   */
  async sendMessageAs(person: PlaygroundPerson, conversationId: string, text: string, options: { mentionBot?: boolean } = {}): Promise<Record<string, unknown>> {
    const shape = conversationShape(conversationId);
    if (shape.conversationType === 'personal') {
      throw new Error('The playground has one personal chat, the current user\'s: send there with sendMessage or the web page.');
    }
    const mention = `<at>${PLAYGROUND_BOT.name}</at>`;
    const now = new Date().toISOString();
    const activity = {
      type: 'message',
      id: randomUUID(),
      timestamp: now,
      localTimestamp: now,
      channelId: 'msteams',
      serviceUrl: `${this.baseUrl}/_connector`,
      from: { id: person.id, name: person.name, aadObjectId: person.aadObjectId },
      recipient: { id: PLAYGROUND_BOT.id, name: PLAYGROUND_BOT.name },
      conversation: { id: conversationId, conversationType: shape.conversationType, tenantId: PLAYGROUND_TENANT_ID, ...(shape.isGroup ? { isGroup: true } : {}) },
      text: options.mentionBot ? `${mention} ${text}` : text,
      textFormat: 'plain',
      locale: 'en-GB',
      entities: options.mentionBot ? [{ type: 'mention', mentioned: { id: PLAYGROUND_BOT.id, name: PLAYGROUND_BOT.name }, text: mention }] : [],
      channelData: {
        tenant: { id: PLAYGROUND_TENANT_ID },
        ...(shape.channelId
          ? {
              team: { id: PLAYGROUND_CONVERSATIONS.team, name: PLAYGROUND_NAMES.team, aadGroupId: PLAYGROUND_NAMES.teamAadGroupId },
              channel: { id: shape.channelId },
              teamsTeamId: PLAYGROUND_CONVERSATIONS.team,
              teamsChannelId: shape.channelId,
            }
          : {}),
      },
    };
    await this.call('POST', '/_internal/v1/customActivities', activity);
    return activity;
  }

  /**
   * Presses an Action.Execute button as any mock member: the playground sends the bot an
   * `adaptiveCard/action` invoke from that person and returns the bot's invoke response. The web page
   * does not see this; the bot must edit the message (PUT) for the page to change.
   * `conversationId` is where the card's message lives (a stream event's `threadId`), `replyToId` its id.
   */
  invokeCardAction(options: { as: PlaygroundPerson; conversationId: string; replyToId: string; verb: string; data?: Record<string, unknown>; title?: string }): Promise<InvokeResult> {
    return this.call('POST', '/_conversation/v1/invoke', {
      name: 'adaptiveCard/action',
      from: { id: options.as.id },
      conversation: { id: options.conversationId },
      replyToId: options.replyToId,
      value: { action: { type: 'Action.Execute', verb: options.verb, data: options.data ?? {}, ...(options.title ? { title: options.title } : {}) }, trigger: 'manual' },
    });
  }
}

