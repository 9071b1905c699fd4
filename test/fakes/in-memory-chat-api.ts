import type { ChatApi, ChatMessageBody } from '../../bot/google-chat/chat-api.ts';
import { ChatCallError } from '../../bot/google-chat/chat-api.ts';

export interface StoredChatMessage {
  name: string;
  space: string;
  body: ChatMessageBody;
  edits: number;
  requestId?: string;
}

/**
 * The `ChatApi` port in memory, for tests of what DSL Desk posts (the REST-level fake is the local
 * Workspace client's): keeps each message, honours `requestId` like Chat (a repeat returns the first
 * message), and can be told to fail the next calls.
 */
export class InMemoryChatApi implements ChatApi {
  readonly messages = new Map<string, StoredChatMessage>();
  readonly calls: { op: 'create' | 'update' | 'findDirectMessage'; target: string }[] = [];
  /** `users/…` → its DM with the app (`spaces/…`); a user missing here has no DM (404). */
  readonly directMessages = new Map<string, string>();
  #failures: ChatCallError[] = [];
  #counter = 0;

  /** The next calls fail with these (status 429 or 503: retryable; 403, 404: permanent). */
  failNext(...statuses: number[]): void {
    for (const status of statuses) {
      this.#failures.push(new ChatCallError({ status, retryable: status === 429 || status >= 500, reason: `test failure ${status}` }, undefined));
    }
  }

  #maybeFail(): void {
    const failure = this.#failures.shift();
    if (failure) throw failure;
  }

  async createMessage(input: { space: string; message: ChatMessageBody; requestId?: string; messageId?: string }): Promise<{ name: string }> {
    this.calls.push({ op: 'create', target: input.space });
    this.#maybeFail();
    if (input.requestId) {
      for (const stored of this.messages.values()) {
        if (stored.space === input.space && stored.requestId === input.requestId) return { name: stored.name };
      }
    }
    const name = `${input.space}/messages/${input.messageId ?? `m${++this.#counter}`}`;
    this.messages.set(name, { name, space: input.space, body: input.message, edits: 0, ...(input.requestId ? { requestId: input.requestId } : {}) });
    return { name };
  }

  async updateMessage(input: { name: string; message: ChatMessageBody; updateMask: string }): Promise<void> {
    this.calls.push({ op: 'update', target: input.name });
    this.#maybeFail();
    const stored = this.messages.get(input.name);
    if (!stored) throw new ChatCallError({ status: 404, retryable: false, reason: 'no such message' }, undefined);
    stored.body = { ...stored.body, ...input.message };
    stored.edits += 1;
  }

  async findDirectMessage(user: string): Promise<{ name: string } | undefined> {
    this.calls.push({ op: 'findDirectMessage', target: user });
    this.#maybeFail();
    const space = this.directMessages.get(user);
    return space ? { name: space } : undefined;
  }

  /** Messages in one space, oldest first. */
  inSpace(space: string): StoredChatMessage[] {
    return [...this.messages.values()].filter((message) => message.space === space);
  }
}
