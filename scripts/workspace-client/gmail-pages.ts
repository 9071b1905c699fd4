import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import PostalMime from 'postal-mime';
import { ACTION_FIELD, decodeAction, escapeHtml, renderCard, type Json } from './card-html.ts';
import { formInputsOf, page, readForm, sendHtml, sendText, type ExtraPages } from './client-server.ts';
import { gmailEvent, sendGmailEvent, type GmailEventTokens, type GmailUser, type OpenMessage, type SentGmailEvent } from './gmail-events.ts';
import type { GoogleSigner } from './google-signer.ts';

/**
 * The Gmail pages of the local Workspace client: one per person, their inbox (the messages in their mailbox in
 * the fake Gmail API) and, beside the open message, DSL Desk's add-on panel as Gmail shows it. Opening a message
 * fires the contextual trigger; with no message open the panel shows the homepage card. Every button POSTs its
 * action's function URL with its parameters, the card's inputs and, when a message is open, `gmail` with fresh
 * tokens. The answer's navigations run on the panel's card stack (one per open message, one for the homepage)
 * and its notification shows as a toast. Sandbox and tests only.
 */

/** A message in a mailbox: its ids and its RFC 822 source. */
export interface MailboxMessage {
  id: string;
  threadId: string;
  raw: Uint8Array | string;
}

/** Where the pages read mailboxes and get the tokens Gmail would hand the add-on. */
export interface GmailMailboxSource {
  messages(mailbox: string): MailboxMessage[] | Promise<MailboxMessage[]>;
  /** Fresh tokens for one event: the user's OAuth token, and the per-message token when a message is open. */
  tokens(mailbox: string, messageId?: string): GmailEventTokens | Promise<GmailEventTokens>;
}

export interface GmailPerson {
  /** Short id used in the page URLs, e.g. "teacher". */
  id: string;
  displayName: string;
  email: string;
  /** The Google account id (the user ID token's `sub`). */
  subject: string;
}

export interface GmailPagesOptions {
  /** The add-on's Gmail endpoint: where the homepage and contextual triggers are POSTed. */
  gmailUrl: string;
  /** The endpoint URL the deployment names (the system token's audience). Default gmailUrl. */
  audience?: string;
  projectNumber: string;
  oauthClientId: string;
  people: GmailPerson[];
  mailboxes: GmailMailboxSource;
  signer: GoogleSigner;
  appName?: string;
}

/** One event sent to the add-on and what it answered (for tests). */
export interface GmailExchange {
  personId: string;
  url: string;
  event: ReturnType<typeof gmailEvent>;
  answer: SentGmailEvent | { status: 0; body: string };
}

/** Paths per person id: their inbox with the homepage card. */
export interface GmailPages extends ExtraPages {
  readonly exchanges: readonly GmailExchange[];
}

interface PanelContext {
  stack: Json[];
}

interface PersonState {
  person: GmailPerson;
  base: string;
  /** Card stacks by open message id; '' is the homepage. */
  panels: Map<string, PanelContext>;
  /** Toasts shown once on the next page view. */
  toasts: string[];
  /** Problems of the client itself (the add-on could not be reached, …), shown once. */
  notices: string[];
}

const HOMEPAGE = '';

export function createGmailPages(options: GmailPagesOptions): GmailPages {
  const appName = options.appName ?? 'DSL Desk';
  const endpoint = new URL(options.gmailUrl);
  const exchanges: GmailExchange[] = [];
  const states = new Map<string, PersonState>();
  for (const person of options.people) {
    states.set(person.id, { person, base: `/people/${encodeURIComponent(person.id)}/gmail`, panels: new Map(), toasts: [], notices: [] });
  }

  function userOf(state: PersonState): GmailUser {
    return { subject: state.person.subject, email: state.person.email };
  }

  async function findMessage(state: PersonState, messageId: string): Promise<MailboxMessage | undefined> {
    return (await options.mailboxes.messages(state.person.email)).find((message) => message.id === messageId);
  }

  /**
   * Sends one event to `url` with fresh tokens and runs the answer on the panel of `messageId`. On any failure
   * the panel keeps its card, with what the person typed put back in it.
   */
  async function deliver(state: PersonState, url: string, messageId: string, extra: { parameters?: Record<string, string>; form?: URLSearchParams }): Promise<void> {
    const panel = panelOf(state, messageId);
    let message: OpenMessage | undefined;
    if (messageId !== HOMEPAGE) {
      const found = await findMessage(state, messageId);
      if (!found) {
        state.notices.push('That message is no longer in this mailbox.');
        return;
      }
      message = { messageId: found.id, threadId: found.threadId };
    }
    const tokens = await options.mailboxes.tokens(state.person.email, message?.messageId);
    const event = gmailEvent({
      user: userOf(state),
      tokens,
      ...(message ? { message } : {}),
      ...(extra.parameters ? { parameters: extra.parameters } : {}),
      ...(extra.form ? { formInputs: formInputsOf(extra.form) } : {}),
    });
    let answer: SentGmailEvent | { status: 0; body: string };
    try {
      answer = await sendGmailEvent(url, event, userOf(state), {
        signer: options.signer,
        projectNumber: options.projectNumber,
        oauthClientId: options.oauthClientId,
        // Google signs for the URL it calls; the configured audience stands in for the trigger's own URL.
        ...(url === options.gmailUrl && options.audience ? { audience: options.audience } : {}),
      });
    } catch (error) {
      answer = { status: 0, body: String(error) };
    }
    exchanges.push({ personId: state.person.id, url, event, answer });
    const kept = () => {
      const top = panel.stack.at(-1);
      if (top && extra.form) panel.stack[panel.stack.length - 1] = withTypedValues(top, extra.form);
    };
    if (answer.status === 0) {
      state.notices.push(`${appName} could not be reached. What you typed is still here.`);
      kept();
      return;
    }
    if (answer.status < 200 || answer.status >= 300) {
      state.notices.push(`${appName} is not responding (it answered ${answer.status}). What you typed is still here.`);
      kept();
      return;
    }
    const body = asObject(answer.body);
    const action = asObject(body.action ?? asObject(body.renderActions).action);
    const navigations = asArray(action.navigations).map(asObject);
    const notification = asObject(action.notification).text;
    if (!navigations.length && typeof notification !== 'string') {
      state.notices.push(`${appName} answered with nothing Gmail can show, so Gmail shows an error. What you typed is still here.`);
      kept();
      return;
    }
    for (const navigation of navigations) {
      if (isObject(navigation.pushCard)) panel.stack.push(navigation.pushCard);
      else if (isObject(navigation.updateCard)) {
        if (panel.stack.length) panel.stack[panel.stack.length - 1] = navigation.updateCard;
        else panel.stack.push(navigation.updateCard);
      } else if (navigation.popCard === true) {
        if (panel.stack.length > 1) panel.stack.pop();
      } else if (navigation.popToRoot === true) panel.stack.splice(1);
    }
    if (typeof notification === 'string') state.toasts.push(notification);
  }

  function panelOf(state: PersonState, messageId: string): PanelContext {
    let panel = state.panels.get(messageId);
    if (!panel) {
      panel = { stack: [] };
      state.panels.set(messageId, panel);
    }
    return panel;
  }

  /** A button of a card: where it posts (only DSL Desk's own address) and its parameters. */
  function buttonTarget(state: PersonState, form: URLSearchParams): { url: string; parameters: Record<string, string> } | undefined {
    const action = decodeAction(form.get(ACTION_FIELD) ?? '');
    if (!action) {
      state.notices.push('That button has no action.');
      return undefined;
    }
    let target: URL;
    try {
      target = new URL(String(action.function));
    } catch {
      state.notices.push(`That button's function "${String(action.function)}" is not an address: Gmail shows an error.`);
      return undefined;
    }
    // The client only ever sends to the add-on it was started for (and so only to this machine).
    if (target.origin !== endpoint.origin) {
      state.notices.push(`That button calls ${target.origin}, not ${appName}'s address: the client does not send there.`);
      return undefined;
    }
    const parameters = Object.fromEntries(asArray(action.parameters).map(asObject)
      .filter((parameter) => typeof parameter.key === 'string')
      .map((parameter) => [String(parameter.key), String(parameter.value ?? '')]));
    return { url: target.href, parameters };
  }

  async function handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<boolean> {
    const match = /^\/people\/([^/]+)\/gmail(\/open\/[^/]+|\/messages\/[^/]+|\/act|\/back|\/home|\/version)?$/.exec(url.pathname);
    const state = match ? states.get(decodeURIComponent(match[1]!)) : undefined;
    if (!match || !state) return false;
    const step = match[2] ?? '';
    const method = request.method ?? 'GET';
    const messageIdIn = (prefix: string) => decodeURIComponent(step.slice(prefix.length));
    if (method === 'GET' && step === '') {
      if (!panelOf(state, HOMEPAGE).stack.length) await deliver(state, options.gmailUrl, HOMEPAGE, {});
      sendHtml(response, await renderGmail(state, undefined));
      return true;
    }
    if (method === 'GET' && step === '/version') {
      sendText(response, 200, await inboxVersion(state));
      return true;
    }
    if (method === 'GET' && step === '/home') {
      // Gmail builds the homepage afresh when the add-on is opened again.
      state.panels.set(HOMEPAGE, { stack: [] });
      redirect(response, state.base);
      return true;
    }
    if (method === 'GET' && step.startsWith('/open/')) {
      // Opening a message fires the contextual trigger afresh, as Gmail does each time a message is opened.
      const messageId = messageIdIn('/open/');
      state.panels.set(messageId, { stack: [] });
      await deliver(state, options.gmailUrl, messageId, {});
      redirect(response, `${state.base}/messages/${encodeURIComponent(messageId)}`);
      return true;
    }
    if (method === 'GET' && step.startsWith('/messages/')) {
      const messageId = messageIdIn('/messages/');
      const message = await findMessage(state, messageId);
      if (!message) {
        // Moved to the Bin (by the school's "remove from every mailbox") or never here: back to the inbox, saying so.
        state.notices.push('That message is no longer in your inbox: it was moved to the Bin or deleted.');
        redirect(response, state.base);
        return true;
      }
      if (!panelOf(state, messageId).stack.length) await deliver(state, options.gmailUrl, messageId, {});
      sendHtml(response, await renderGmail(state, message));
      return true;
    }
    if (method !== 'POST' || (step !== '/act' && step !== '/back')) {
      sendText(response, 405, 'Method not allowed.');
      return true;
    }
    const form = await readForm(request);
    if (!form) {
      sendText(response, 413, 'The form is too large.');
      return true;
    }
    const messageId = form.get('__message') ?? HOMEPAGE;
    if (step === '/back') {
      const panel = panelOf(state, messageId);
      if (panel.stack.length > 1) panel.stack.pop();
    } else {
      const target = buttonTarget(state, form);
      if (target) await deliver(state, target.url, messageId, { parameters: target.parameters, form });
    }
    redirect(response, messageId === HOMEPAGE ? state.base : `${state.base}/messages/${encodeURIComponent(messageId)}`);
    return true;
  }

  async function renderGmail(state: PersonState, open: MailboxMessage | undefined): Promise<string> {
    const { person } = state;
    const inbox = await Promise.all((await options.mailboxes.messages(person.email)).map(async (message) => ({ message, summary: await summarise(message.raw) })));
    const rows = inbox.map(({ message, summary }) => {
      const current = open?.id === message.id;
      return `<li${current ? ' class="current" aria-current="true"' : ''}><a class="mail-row" href="${escapeHtml(`${state.base}/open/${encodeURIComponent(message.id)}`)}">`
        + `<span class="from">${escapeHtml(summary.from)}</span><span class="subject">${escapeHtml(summary.subject)}</span>`
        + `<span class="muted">${escapeHtml(summary.date)}</span></a></li>`;
    }).join('');
    const messageId = open?.id ?? HOMEPAGE;
    const panel = panelOf(state, messageId);
    const card = panel.stack.at(-1);
    const toasts = state.toasts.splice(0);
    const notices = state.notices.splice(0);
    let mail = '';
    if (open) {
      const summary = await summarise(open.raw);
      mail = `<article class="mail" aria-labelledby="mail-subject"><h2 id="mail-subject">${escapeHtml(summary.subject)}</h2>`
        + `<dl class="headers"><dt>From</dt><dd>${escapeHtml(summary.from)}</dd><dt>To</dt><dd>${escapeHtml(summary.to)}</dd><dt>Date</dt><dd>${escapeHtml(summary.date)}</dd></dl>`
        + `<div class="mail-body">${escapeHtml(summary.body)}</div>`
        + `<p><a class="button" href="${escapeHtml(state.base)}">Back to inbox</a></p></article>`;
    } else {
      mail = `<section class="mail inbox" aria-labelledby="inbox-title"><h2 id="inbox-title">Inbox</h2>`
        + `<ul class="mail-list">${rows || '<li class="muted">No messages.</li>'}</ul></section>`;
    }
    const back = panel.stack.length > 1
      ? `<form method="post" action="${escapeHtml(state.base)}/back"><input type="hidden" name="__message" value="${escapeHtml(messageId)}"><button type="submit" class="button">Back</button></form>`
      : '';
    const panelHtml = `<aside class="addon" aria-label="${escapeHtml(appName)} add-on">`
      + `<p class="addon-title"><b>${escapeHtml(appName)}</b> <span class="muted">${open ? 'on this message' : 'homepage'}</span></p>`
      + (toasts.length ? `<div class="toast" role="status">${toasts.map((toast) => `<p>${escapeHtml(toast)}</p>`).join('')}</div>` : '')
      + (notices.length ? `<div class="notices" role="alert">${notices.map((notice) => `<p>${escapeHtml(notice)}</p>`).join('')}</div>` : '')
      + back
      + (card
        ? renderCard(card, { formAction: `${state.base}/act`, hidden: { __message: messageId }, idPrefix: 'addon' })
        : `<p class="muted">${escapeHtml(appName)} has no card to show.</p>`)
      + '</aside>';
    const body = `<header class="top wide"><p class="muted">${escapeHtml(person.displayName)} · ${escapeHtml(person.email)}</p>`
      + `<h1>Gmail</h1><nav><a href="${escapeHtml(state.base)}">Inbox</a> · <a href="/">Everyone</a></nav></header>`
      + `<main class="gmail">${mail}${panelHtml}</main>`;
    // The inbox changes on its own (a copy moved to the Bin, a message delivered): the page reloads when it does.
    return page(`Gmail — ${person.displayName}`, body, `${state.base}/version`, await inboxVersion(state));
  }

  /** A fingerprint of the inbox's messages, for the page to reload when it changes. */
  async function inboxVersion(state: PersonState): Promise<string> {
    const ids = (await options.mailboxes.messages(state.person.email)).map((message) => message.id).join(',');
    return createHash('sha256').update(ids).digest('base64url').slice(0, 16);
  }

  const paths: Record<string, string> = {};
  for (const state of states.values()) paths[state.person.id] = state.base;
  return { paths, exchanges, handle };
}

/** What the inbox and the message view show of a message. */
interface MessageSummary {
  from: string;
  to: string;
  subject: string;
  date: string;
  body: string;
}

const DATE_FORMAT = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });

async function summarise(raw: Uint8Array | string): Promise<MessageSummary> {
  try {
    const email = await PostalMime.parse(raw);
    const address = (entry: { name?: string; address?: string } | undefined) => (entry ? (entry.name ? `${entry.name} <${entry.address ?? ''}>` : entry.address ?? '') : '');
    const date = email.date ? new Date(email.date) : undefined;
    // Only the text: the HTML part's markup is shown as text too, never as HTML.
    const body = email.text ?? (email.html ? email.html.replaceAll(/<[^>]*>/g, ' ').replaceAll(/[ \t]+/g, ' ') : '');
    return {
      from: address(email.from) || '(no sender)',
      to: (email.to ?? []).map((entry) => address(entry as { name?: string; address?: string })).join(', '),
      subject: email.subject ?? '(no subject)',
      date: date && Number.isFinite(date.getTime()) ? DATE_FORMAT.format(date) : '',
      body: body.trim(),
    };
  } catch {
    return { from: '(unreadable)', to: '', subject: '(this message could not be read)', date: '', body: '' };
  }
}

/** The card with the values of a submitted form put back into its inputs, as Gmail keeps what was typed. */
export function withTypedValues(card: Json, form: URLSearchParams): Json {
  const values = new Map<string, string[]>();
  for (const [name, value] of form) if (!name.startsWith('__')) values.set(name, [...(values.get(name) ?? []), value]);
  const visit = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(visit);
    if (!isObject(value)) return value;
    const copy: Json = Object.fromEntries(Object.entries(value).map(([key, child]) => [key, visit(child)]));
    const text = asObject(copy.textInput);
    if (typeof text.name === 'string' && values.has(text.name)) copy.textInput = { ...text, value: values.get(text.name)![0] ?? '' };
    const selection = asObject(copy.selectionInput);
    if (typeof selection.name === 'string') {
      const chosen = values.get(selection.name) ?? [];
      copy.selectionInput = { ...selection, items: asArray(selection.items).map(asObject).map((item) => ({ ...item, selected: chosen.includes(String(item.value)) })) };
    }
    return copy;
  };
  return visit(card) as Json;
}

function redirect(response: ServerResponse, location: string): void {
  response.writeHead(303, { location });
  response.end();
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function asObject(value: unknown): Json {
  return isObject(value) ? value : {};
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
