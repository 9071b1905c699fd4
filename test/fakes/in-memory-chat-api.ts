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
  #failures: { error: ChatCallError; target?: string }[] = [];
  #counter = 0;

  /** The next calls fail with these (status 429 or 503: retryable; 403, 404: permanent). */
  failNext(...statuses: number[]): void {
    for (const status of statuses) this.#failures.push({ error: this.#error(status) });
  }

  /**
   * The next call to this space, message or user fails with this status; calls elsewhere (another message's
   * delivery running meanwhile) go through, so the failure lands where the test means it.
   */
  failNextTo(target: string, status: number): void {
    this.#failures.push({ error: this.#error(status), target });
  }

  #error(status: number): ChatCallError {
    return new ChatCallError({ status, retryable: status === 429 || status >= 500, reason: `test failure ${status}` }, undefined);
  }

  #maybeFail(target: string): void {
    const index = this.#failures.findIndex((failure) => failure.target === undefined || failure.target === target);
    if (index < 0) return;
    const [failure] = this.#failures.splice(index, 1);
    throw failure!.error;
  }

  async createMessage(input: { space: string; message: ChatMessageBody; requestId?: string; messageId?: string }): Promise<{ name: string }> {
    this.calls.push({ op: 'create', target: input.space });
    this.#maybeFail(input.space);
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
    this.#maybeFail(input.name);
    const stored = this.messages.get(input.name);
    if (!stored) throw new ChatCallError({ status: 404, retryable: false, reason: 'no such message' }, undefined);
    stored.body = { ...stored.body, ...input.message };
    stored.edits += 1;
  }

  async findDirectMessage(user: string): Promise<{ name: string } | undefined> {
    this.calls.push({ op: 'findDirectMessage', target: user });
    this.#maybeFail(user);
    const space = this.directMessages.get(user);
    return space ? { name: space } : undefined;
  }

  /** Messages in one space, oldest first. */
  inSpace(space: string): StoredChatMessage[] {
    return [...this.messages.values()].filter((message) => message.space === space);
  }
}
