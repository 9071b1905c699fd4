import { setTimeout as sleep } from 'node:timers/promises';
import { gmail, type gmail_v1 } from 'googleapis/build/src/apis/gmail/index.js';
import { AppError } from '../../domain/errors.ts';
import { googleRetryAfter, googleStatusOf, googleTokenErrorOf, isGoogleRateLimit, TRANSIENT_GOOGLE_STATUSES } from './google-api-errors.ts';
import { GMAIL_MODIFY_SCOPE, GMAIL_SEND_SCOPE } from '../../domain/google-workspace.ts';
import { DELEGATION_REFUSED } from '../../domain/mailbox-removal.ts';
import type { GmailMailboxes } from '../../domain/ports.ts';
import type { GoogleAdminAuthFactory } from './google-directory.ts';

/** Gmail's documented quota cost of each method DSL Desk calls. */
export const GMAIL_UNITS = { list: 5, get: 5, trash: 5, send: 100 } as const;
/** Gmail's per-user limit (each impersonated mailbox is its own user). */
export const GMAIL_UNITS_PER_USER_PER_MINUTE = 6_000;

export interface GmailMailboxesOptions {
  /** Signs calls as each mailbox with the Gmail scopes (domain-wide delegation). */
  authFor: GoogleAdminAuthFactory;
  /** https://gmail.googleapis.com/ in production; a local fake in the tests (origin only). */
  rootUrl: string;
  /** Per request. Default 30 s. */
  timeoutMs?: number;
  /** Units a minute for one mailbox (default Gmail's 6,000) and for all of DSL Desk's mailbox work (the project's share). */
  unitsPerUserPerMinute?: number;
  unitsPerProjectPerMinute: number;
  /** A wait for quota longer than this is not slept through: the caller is told to come back (`unavailable`). Default 5 s. */
  maxWaitMs?: number;
  now?: () => number;
}

const MINUTE_MS = 60_000;

/**
 * Quota units spent in the last minute, per key: a call waits until its units fit under the limit. One process's
 * view (the project budget is kept below Gmail's own limit so that a second instance or the add-on's reads fit).
 */
export class UnitPacer {
  readonly #spent = new Map<string, { at: number; units: number }[]>();
  readonly #limit: number;
  readonly #now: () => number;
  constructor(limitPerMinute: number, now: () => number = Date.now) {
    this.#limit = limitPerMinute;
    this.#now = now;
  }

  /** Records `units` on `key` at the first moment they fit, and returns how long to wait for it (0: now). */
  reserve(key: string, units: number): number {
    const now = this.#now();
    const window = (this.#spent.get(key) ?? []).filter((entry) => entry.at > now - MINUTE_MS);
    let total = window.reduce((sum, entry) => sum + entry.units, 0);
    let at = now;
    // The earliest moment enough of the window has expired for these units to fit.
    for (let i = 0; total + units > this.#limit && i < window.length; i += 1) {
      total -= window[i]!.units;
      at = Math.max(at, window[i]!.at + MINUTE_MS);
    }
    window.push({ at, units });
    this.#spent.set(key, window);
    return at - now;
  }

  /** Gives back a reservation that was not used (the caller went away instead of waiting). */
  release(key: string, units: number, at: number): void {
    const window = this.#spent.get(key);
    const index = window?.findIndex((entry) => entry.units === units && entry.at === at) ?? -1;
    if (window && index >= 0) window.splice(index, 1);
  }
}

/**
 * Gmail as each mailbox of a Google school, by domain-wide delegation: `users.messages.list` with
 * `rfc822msgid:` and `users.messages.trash` (gmail.modify), `users.messages.get` of a reported copy (gmail.modify), and `users.messages.send` as the school's sender
 * mailbox (gmail.send). Each call is made once (googleapis' retries are off) and paced under Gmail's per-user
 * and per-project quotas; see GmailMailboxes for what its failures mean.
 */
export function createGmailMailboxes(options: GmailMailboxesOptions): GmailMailboxes {
  const timeout = options.timeoutMs ?? 30_000;
  const now = options.now ?? Date.now;
  const maxWaitMs = options.maxWaitMs ?? 5_000;
  const perUser = new UnitPacer(options.unitsPerUserPerMinute ?? GMAIL_UNITS_PER_USER_PER_MINUTE, now);
  const perProject = new UnitPacer(options.unitsPerProjectPerMinute, now);
  const clientFor = (mailbox: string, scope: string): gmail_v1.Gmail =>
    // Node's own fetch: gaxios would otherwise load node-fetch by a dynamic import on the first call.
    gmail({ version: 'v1', auth: options.authFor(mailbox, [scope]), rootUrl: options.rootUrl, timeout, retry: false, fetchImplementation: fetch });

  const paced = async <T>(mailbox: string, units: number, work: () => Promise<T>): Promise<T> => {
    const userKey = mailbox.toLowerCase();
    const userWait = perUser.reserve(userKey, units);
    const projectWait = perProject.reserve('project', units);
    const wait = Math.max(userWait, projectWait);
    if (wait > maxWaitMs) {
      const at = now();
      perUser.release(userKey, units, at + userWait);
      perProject.release('project', units, at + projectWait);
      throw new AppError('unavailable', GMAIL_BUSY, { internal: `gmail: paced, ${wait} ms to wait`, retryAfterSeconds: Math.ceil(wait / 1000) });
    }
    if (wait > 0) await sleep(wait);
    try {
      return await work();
    } catch (error) {
      throw describeGmailError(error);
    }
  };

  return {
    async findCopies(mailbox, internetMessageId) {
      const client = clientFor(mailbox, GMAIL_MODIFY_SCOPE);
      const ids: string[] = [];
      let pageToken: string | undefined;
      do {
        const { data } = await paced(mailbox, GMAIL_UNITS.list, () =>
          client.users.messages.list({ userId: 'me', q: `rfc822msgid:${messageIdForQuery(internetMessageId)}`, includeSpamTrash: false, maxResults: 100, ...(pageToken ? { pageToken } : {}) }),
        );
        for (const message of data.messages ?? []) if (message.id) ids.push(message.id);
        pageToken = data.nextPageToken ?? undefined;
      } while (pageToken);
      return ids;
    },

    async readMessage(mailbox, internetMessageId, maxBytes) {
      const client = clientFor(mailbox, GMAIL_MODIFY_SCOPE);
      // `in:anywhere`: Gmail's own "Report phishing" moved the message to Spam, which a plain search leaves out.
      const { data: found } = await paced(mailbox, GMAIL_UNITS.list, () =>
        client.users.messages.list({ userId: 'me', q: `rfc822msgid:${messageIdForQuery(internetMessageId)} in:anywhere`, includeSpamTrash: true, maxResults: 1 }),
      );
      const id = found.messages?.find((message) => message.id)?.id;
      if (!id) return 'not_found';
      const { data } = await paced(mailbox, GMAIL_UNITS.get, () => client.users.messages.get({ userId: 'me', id, format: 'raw', fields: 'id,raw' }));
      if (!data.raw) return 'not_found';
      const raw = Buffer.from(data.raw, 'base64url');
      return raw.byteLength > maxBytes ? 'too_large' : { raw: new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength) };
    },

    async trash(mailbox, gmailMessageId) {
      const client = clientFor(mailbox, GMAIL_MODIFY_SCOPE);
      await paced(mailbox, GMAIL_UNITS.trash, () => client.users.messages.trash({ userId: 'me', id: gmailMessageId }));
    },

    async send(from, mime) {
      const client = clientFor(from, GMAIL_SEND_SCOPE);
      // The media upload takes a message of any size Gmail accepts (35 MB); googleapis builds the upload URL from
      // the call's own rootUrl, so it is given again here.
      await paced(from, GMAIL_UNITS.send, () =>
        client.users.messages.send({ userId: 'me', media: { mimeType: 'message/rfc822', body: Buffer.from(mime) } }, { rootUrl: options.rootUrl }),
      );
    },
  };
}

/** Gmail's search takes the Message-ID without its angle brackets. */
export function messageIdForQuery(internetMessageId: string): string {
  return internetMessageId.trim().replace(/^<|>$/g, '');
}

const GMAIL_BUSY = 'Gmail is busy; DSL Desk will carry on with the mailboxes shortly.';
/** The token endpoint's answers when the delegation itself is missing: no mailbox can be opened until IT acts. */
const DELEGATION_ERRORS = new Set(['unauthorized_client', 'access_denied', 'invalid_scope']);

/**
 * Sorts a gaxios or token failure: passing (429, 5xx, a quota 403, the network) → `unavailable` with Google's
 * Retry-After; the delegation refused for the service account → `forbidden` (internal `delegation_refused`);
 * anything else about one mailbox (suspended, deleted, no Gmail: 400/401/403/404, `invalid_grant`) → `forbidden`.
 * No error carries Google's message or an address.
 */
export function describeGmailError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const status = googleStatusOf(error);
  const tokenError = googleTokenErrorOf(error);
  const internal = `gmail: google ${status ?? 'unreachable'}${tokenError ? ` ${tokenError}` : ''}`;
  if (tokenError && DELEGATION_ERRORS.has(tokenError)) {
    return new AppError('forbidden', DELEGATION_MESSAGE, { internal: `${DELEGATION_REFUSED} ${internal}`, cause: error });
  }
  if (tokenError === 'invalid_grant') return new AppError('forbidden', MAILBOX_REFUSED, { internal, cause: error });
  if (status === 403 && isGoogleRateLimit(error)) {
    return new AppError('unavailable', GMAIL_BUSY, { internal: `${internal} rate limited`, cause: error, ...googleRetryAfter(error) });
  }
  if (status === undefined || TRANSIENT_GOOGLE_STATUSES.has(status)) return new AppError('unavailable', GMAIL_BUSY, { internal, cause: error, ...googleRetryAfter(error) });
  return new AppError('forbidden', MAILBOX_REFUSED, { internal, cause: error });
}

export const DELEGATION_MESSAGE =
  'Google Workspace refused DSL Desk’s access to the school’s mailboxes. In the Google Admin console (Security → Access and data control → API controls → ' +
  `Domain-wide delegation) authorise DSL Desk’s service account client ID for ${GMAIL_MODIFY_SCOPE} and ${GMAIL_SEND_SCOPE}, then ask again.`;
const MAILBOX_REFUSED = 'Gmail would not open this mailbox (suspended, deleted, or without Gmail).';
