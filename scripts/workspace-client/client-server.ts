import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ACTION_FIELD, KIND_FIELD_PREFIX, decodeAction, escapeHtml, formatMessageText, renderCard, type Json } from './card-html.ts';
import {
  addedToSpaceEvent, appCommandEvent, buttonClickEvent, messageEvent, sendEvent,
  type CardAction, type ChatEventObject, type ChatPerson, type ChatSpace, type FormInputs, type SentEvent,
} from './chat-events.ts';
import type { FakeChatMessage, FakeChatRest } from './fake-chat-rest.ts';
import type { GoogleSigner } from './google-signer.ts';

/**
 * The web pages of the local Workspace client: one page per person and conversation (their DM with the
 * app, or a named space as they see it). It shows the messages the app posted through the fake Chat REST
 * API and what the app answered synchronously, renders their cards as forms, and turns every click,
 * dialog step and typed message into the matching Chat event, signed as Google signs it, sent to the app.
 */

/** A person who uses Chat in the client. */
export interface ClientPerson extends ChatPerson {
  /** Short id used in the page URLs, e.g. "teacher". */
  id: string;
}

/** A named space and the people in it. */
export interface ClientSpace {
  id: string;
  /** `spaces/<id>`. */
  name: string;
  displayName: string;
  /** Ids of the people who see it. */
  members: string[];
}

/** A slash command registered for the app, by the word typed (e.g. "/report"). */
export interface SlashCommand {
  id: string | number;
  /** The command is set to open a dialog: the event asks for one (REQUEST_DIALOG). */
  opensDialog?: boolean;
}

export interface ClientServerOptions {
  /** Where Chat events are POSTed: the app's Chat endpoint. */
  appUrl: string;
  /** The audience Google signs tokens for: the endpoint URL configured for the app. Default appUrl. */
  audience?: string;
  projectNumber: string;
  people: ClientPerson[];
  spaces: ClientSpace[];
  commands?: Record<string, SlashCommand>;
  chat: FakeChatRest;
  signer: GoogleSigner;
  /** The app's name as its messages show it. */
  appName?: string;
  port?: number;
  /** Gmail pages served beside the Chat pages (gmail-pages.ts). */
  gmail?: ExtraPages;
}

/** More pages served by the same server, one per person (the Gmail pages). */
export interface ExtraPages {
  /** Page path per person id. */
  paths: Record<string, string>;
  /** Serves one of its pages; false when the path is not one. */
  handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<boolean>;
}

export interface ClientServer {
  url: string;
  /** Page URLs per person id: their DM, each space they are in (by space id), and their Gmail. */
  pages: Record<string, { dm?: string; spaces: Record<string, string>; gmail?: string }>;
  /** The events sent and what the app answered, oldest first (for tests). */
  readonly exchanges: readonly { event: ChatEventObject; answer: SentEvent | { status: 0; body: string } }[];
  close(): Promise<void>;
}

export const DEFAULT_COMMANDS: Record<string, SlashCommand> = {
  '/report': { id: 1, opensDialog: true },
  '/myreports': { id: 2 },
};

interface Conversation {
  person: ClientPerson;
  space: ChatSpace;
  /** The URL path of its page. */
  path: string;
  title: string;
  /** Open dialogs, innermost last, with the message whose button opened them. */
  dialogs: { card: Json; messageName?: string }[];
  /** Shown once on the next page view. */
  notices: string[];
}

const MAX_FORM_BYTES = 256 * 1024;

export async function startClientServer(options: ClientServerOptions): Promise<ClientServer> {
  const { chat } = options;
  const appName = options.appName ?? 'DSL Desk';
  const commands = options.commands ?? DEFAULT_COMMANDS;
  const conversations = new Map<string, Conversation>();
  const exchanges: { event: ChatEventObject; answer: SentEvent | { status: 0; body: string } }[] = [];
  let version = 0;
  const stopListening = chat.onChange(() => {
    version += 1;
  });

  const names: Record<string, string> = {};
  for (const person of options.people) names[person.name] = person.displayName;

  for (const person of options.people) {
    const dm = chat.directMessageOf(person.name);
    if (dm) {
      const path = `/people/${encodeURIComponent(person.id)}/dm`;
      conversations.set(path, { person, space: { name: dm, spaceType: 'DIRECT_MESSAGE' }, path, title: `${appName} (direct message)`, dialogs: [], notices: [] });
    }
  }
  for (const space of options.spaces) {
    for (const memberId of space.members) {
      const person = options.people.find((candidate) => candidate.id === memberId);
      if (!person) throw new Error(`space ${space.id} names an unknown person ${memberId}`);
      const path = `/people/${encodeURIComponent(person.id)}/spaces/${encodeURIComponent(space.id)}`;
      conversations.set(path, { person, space: { name: space.name, spaceType: 'SPACE', displayName: space.displayName }, path, title: space.displayName, dialogs: [], notices: [] });
    }
  }

  async function deliver(conversation: Conversation, event: ChatEventObject, context: { messageName?: string; fromDialog?: boolean }): Promise<void> {
    let answer: SentEvent | { status: 0; body: string };
    try {
      answer = await sendEvent(options.appUrl, event, { signer: options.signer, projectNumber: options.projectNumber, ...(options.audience ? { audience: options.audience } : {}) });
    } catch (error) {
      answer = { status: 0, body: String(error) };
    }
    exchanges.push({ event, answer });
    version += 1;
    applyAnswer(conversation, answer, context);
  }

  /** Does what Chat does with the app's synchronous answer in the add-on format. */
  function applyAnswer(conversation: Conversation, answer: SentEvent | { status: 0; body: string }, context: { messageName?: string; fromDialog?: boolean }): void {
    if (answer.status === 0) {
      conversation.notices.push(`${appName} could not be reached.`);
      return;
    }
    if (answer.status < 200 || answer.status >= 300) {
      conversation.notices.push(`${appName} is not responding (it answered ${answer.status}).`);
      return;
    }
    const body = asObject(answer.body);
    if (body.actionResponse !== undefined || body.type !== undefined) {
      conversation.notices.push(`${appName} answered in the legacy Chat format, which an add-on cannot use: Chat shows "Could not load".`);
      return;
    }
    const dataAction = asObject(asObject(body.hostAppDataAction).chatDataAction);
    const created = asObject(asObject(dataAction.createMessageAction).message);
    if (Object.keys(created).length) {
      chat.postMessage(conversation.space.name, { ...created, sender: { name: 'users/app', type: 'BOT', displayName: appName } });
    }
    const updated = asObject(asObject(dataAction.updateMessageAction).message);
    if (Object.keys(updated).length) {
      if (context.messageName && chat.updateMessage(context.messageName, updated)) {
        // Updated in place, for everyone in the space.
      } else {
        conversation.notices.push(`${appName} asked to update a message, but the click was not on a message.`);
      }
    }
    const action = asObject(body.action ?? asObject(body.renderActions).action);
    for (const navigation of asArray(action.navigations).map(asObject)) {
      if (isObject(navigation.pushCard)) conversation.dialogs.push({ card: navigation.pushCard, ...(context.messageName ? { messageName: context.messageName } : {}) });
      else if (isObject(navigation.updateCard)) {
        const top = conversation.dialogs.at(-1);
        if (top) top.card = navigation.updateCard;
        else conversation.dialogs.push({ card: navigation.updateCard, ...(context.messageName ? { messageName: context.messageName } : {}) });
      } else if (navigation.popCard === true) conversation.dialogs.pop();
      else if (navigation.popToRoot === true) conversation.dialogs.splice(1);
      else if (navigation.endNavigation !== undefined) conversation.dialogs = [];
    }
    const notification = asObject(action.notification).text;
    if (typeof notification === 'string') conversation.notices.push(notification);
  }

  async function onSend(conversation: Conversation, text: string): Promise<void> {
    const trimmed = text.trim();
    if (!trimmed) return;
    const common = { user: conversation.person, space: conversation.space };
    const word = /^\/\S+/.exec(trimmed)?.[0];
    const command = word ? commands[word.toLowerCase()] : undefined;
    if (word && !command) {
      conversation.notices.push(`${word} is not a command of ${appName}.`);
      return;
    }
    // A command that opens a dialog is not posted to the conversation: Chat only opens the dialog.
    const posted = command?.opensDialog
      ? undefined
      : chat.postMessage(conversation.space.name, { text: trimmed, sender: { name: conversation.person.name, type: 'HUMAN', displayName: conversation.person.displayName } });
    const event = command
      ? appCommandEvent({ ...common, commandId: command.id, text: trimmed, ...(command.opensDialog ? { opensDialog: true } : {}) })
      : messageEvent({ ...common, text: trimmed, ...(posted ? { messageName: posted.name } : {}) });
    await deliver(conversation, event, {});
  }

  async function onAct(conversation: Conversation, form: URLSearchParams): Promise<void> {
    const action = decodeAction(form.get(ACTION_FIELD) ?? '');
    if (!action) {
      conversation.notices.push('That button has no action.');
      return;
    }
    const inDialog = form.get('__dialog') === '1';
    const dialog = inDialog ? conversation.dialogs.at(-1) : undefined;
    const messageName = inDialog ? dialog?.messageName : form.get('__message') ?? undefined;
    const message = messageName ? chat.message(messageName) : undefined;
    const event = buttonClickEvent({
      user: conversation.person,
      space: conversation.space,
      action: action as unknown as CardAction,
      formInputs: formInputsOf(form),
      ...(message ? { message: { name: message.name, ...(message.text !== undefined ? { text: message.text } : {}), ...(message.cardsV2 ? { cardsV2: message.cardsV2 } : {}), sender: message.sender } } : {}),
      ...(inDialog ? { dialog: 'SUBMIT_DIALOG' as const } : {}),
    });
    await deliver(conversation, event, { ...(messageName ? { messageName } : {}), fromDialog: inDialog });
  }

  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendText(response, 500, `The client failed: ${String(error)}`);
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://client');
    const method = request.method ?? 'GET';
    if (method === 'GET' && url.pathname === '/') return sendHtml(response, renderIndex());
    if (options.gmail && await options.gmail.handle(request, response, url)) return;
    const match = /^(\/people\/[^/]+\/(?:dm|spaces\/[^/]+))(\/send|\/act|\/close|\/add-app|\/version)?$/.exec(url.pathname);
    const conversation = match ? conversations.get(match[1]!) : undefined;
    if (!conversation || !match) return sendText(response, 404, 'No such page.');
    const step = match[2];
    if (method === 'GET' && !step) return sendHtml(response, renderConversation(conversation));
    if (method === 'GET' && step === '/version') return sendText(response, 200, String(version));
    if (method !== 'POST' || !step) return sendText(response, 405, 'Method not allowed.');
    const form = await readForm(request);
    if (!form) return sendText(response, 413, 'The form is too large.');
    if (step === '/send') await onSend(conversation, form.get('text') ?? '');
    if (step === '/act') await onAct(conversation, form);
    if (step === '/close') {
      conversation.dialogs = [];
      version += 1;
    }
    if (step === '/add-app') await deliver(conversation, addedToSpaceEvent({ user: conversation.person, space: conversation.space, interactionAdd: true }), {});
    response.writeHead(303, { location: conversation.path });
    response.end();
  }

  function renderIndex(): string {
    const rows = options.people.map((person) => {
      const links = [...conversations.values()].filter((conversation) => conversation.person.id === person.id)
        .map((conversation) => `<li><a href="${escapeHtml(conversation.path)}">${escapeHtml(conversation.title)}</a></li>`).join('')
        + (options.gmail?.paths[person.id] ? `<li><a href="${escapeHtml(options.gmail.paths[person.id]!)}">Gmail (inbox and the ${escapeHtml(appName)} add-on)</a></li>` : '');
      return `<li><h2>${escapeHtml(person.displayName)}</h2><p class="muted">${escapeHtml(person.email)}</p><ul>${links || '<li>No conversations</li>'}</ul></li>`;
    }).join('');
    return page('Workspace client', `<main><h1>Google Chat${options.gmail ? ' and Gmail' : ''} (local Workspace client)</h1>`
      + `<p>Each page is one person's view of a conversation with ${escapeHtml(appName)}${options.gmail ? ', or of their Gmail with the add-on beside the open message' : ''}. Events are signed locally as Google signs them.</p>`
      + `<ul class="people">${rows}</ul></main>`);
  }

  function renderConversation(conversation: Conversation): string {
    const notices = conversation.notices.splice(0);
    const viewer = conversation.person.name;
    const messages = chat.messages(conversation.space.name)
      .filter((message) => !message.privateMessageViewer || message.privateMessageViewer.name === viewer)
      .map((message) => renderMessage(conversation, message)).join('');
    const dialog = conversation.dialogs.at(-1);
    const others = [...conversations.values()].filter((other) => other.person.id === conversation.person.id && other !== conversation)
      .map((other) => `<a href="${escapeHtml(other.path)}">${escapeHtml(other.title)}</a>`).join(' · ');
    const dialogHtml = dialog
      ? `<section class="dialog" role="dialog" aria-label="${escapeHtml(asObject(dialog.card.header).title ?? 'Dialog')}">`
        + renderCard(dialog.card, { formAction: `${conversation.path}/act`, hidden: { __dialog: '1' }, idPrefix: 'dialog' })
        + `<form method="post" action="${escapeHtml(conversation.path)}/close"><button type="submit" class="button">Close dialog</button></form></section>`
      : '';
    const isSpace = conversation.space.spaceType === 'SPACE';
    const addApp = isSpace
      ? `<form method="post" action="${escapeHtml(conversation.path)}/add-app" class="inline"><button type="submit" class="button">Add ${escapeHtml(appName)} to this space</button></form>`
      : '';
    const body = `<header class="top"><p class="muted">${escapeHtml(conversation.person.displayName)} · ${escapeHtml(conversation.person.email)}</p>`
      + `<h1>${escapeHtml(conversation.title)}</h1>${others ? `<nav aria-label="Other conversations">${others} · <a href="/">Everyone</a></nav>` : '<nav><a href="/">Everyone</a></nav>'}</header>`
      + `<main>${notices.length ? `<div class="notices" role="status">${notices.map((notice) => `<p>${escapeHtml(notice)}</p>`).join('')}</div>` : ''}`
      + dialogHtml
      + `<h2 class="visually-hidden">Messages</h2><ol class="messages">${messages || '<li class="muted">No messages yet.</li>'}</ol></main>`
      + `<footer class="composer">${addApp}<form method="post" action="${escapeHtml(conversation.path)}/send">`
      + `<label for="compose">${isSpace ? `Message the space (mentions ${escapeHtml(appName)})` : `Message ${escapeHtml(appName)}`}</label>`
      + `<div class="compose-row"><input type="text" id="compose" name="text" autocomplete="off" placeholder="report, /report, my reports"><button type="submit" class="button filled">Send</button></div></form></footer>`;
    return page(`${conversation.title} — ${conversation.person.displayName}`, body, `${conversation.path}/version`, version);
  }

  function renderMessage(conversation: Conversation, message: FakeChatMessage): string {
    const fromApp = message.sender.type === 'BOT';
    const sender = fromApp ? appName : names[message.sender.name] ?? message.sender.displayName ?? message.sender.name;
    const time = message.createTime.slice(11, 16);
    const cards = (message.cardsV2 ?? []).map((card, index) => renderCard(card.card, {
      formAction: `${conversation.path}/act`,
      hidden: { __message: message.name },
      idPrefix: `m${hashOf(message.name)}-${index}`,
    })).join('');
    const onlyYou = message.privateMessageViewer ? '<p class="muted">Only visible to you</p>' : '';
    const edited = message.lastUpdateTime ? ' <span class="muted">(edited)</span>' : '';
    return `<li class="message${fromApp ? ' from-app' : ''}"><article aria-label="Message from ${escapeHtml(sender)}">`
      + `<p class="meta"><b>${escapeHtml(sender)}</b> <span class="muted">${escapeHtml(time)}</span>${edited}</p>${onlyYou}`
      + `${message.text ? `<p class="text">${formatMessageText(message.text, names)}</p>` : ''}${cards}</article></li>`;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const pages: ClientServer['pages'] = {};
  for (const conversation of conversations.values()) {
    const entry = (pages[conversation.person.id] ??= { spaces: {} });
    if (conversation.space.spaceType === 'DIRECT_MESSAGE') entry.dm = `${url}${conversation.path}`;
    else entry.spaces[conversation.path.split('/').pop()!] = `${url}${conversation.path}`;
  }
  for (const [personId, path] of Object.entries(options.gmail?.paths ?? {})) (pages[personId] ??= { spaces: {} }).gmail = `${url}${path}`;

  return {
    url,
    pages,
    exchanges,
    async close() {
      stopListening();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** The card inputs of a submitted form, in Chat's formInputs shape. */
export function formInputsOf(form: URLSearchParams): FormInputs {
  const kinds = new Map<string, string>();
  const values = new Map<string, string[]>();
  for (const [name, value] of form) {
    if (name.startsWith(KIND_FIELD_PREFIX)) kinds.set(name.slice(KIND_FIELD_PREFIX.length), value);
    else if (!name.startsWith('__')) values.set(name, [...(values.get(name) ?? []), value]);
  }
  const inputs: FormInputs = {};
  for (const [name, list] of values) {
    const kind = kinds.get(name);
    const value = list[0] ?? '';
    if (!kind) {
      inputs[name] = { stringInputs: { value: list } };
      continue;
    }
    if (!value) continue;
    if (kind === 'DATE_ONLY') {
      const ms = Date.parse(`${value}T00:00:00Z`);
      if (Number.isFinite(ms)) inputs[name] = { dateInput: { msSinceEpoch: String(ms) } };
    } else if (kind === 'TIME_ONLY') {
      const [hours, minutes] = value.split(':').map(Number);
      if (Number.isInteger(hours) && Number.isInteger(minutes)) inputs[name] = { timeInput: { hours: hours!, minutes: minutes! } };
    } else {
      const ms = Date.parse(`${value}:00Z`);
      if (Number.isFinite(ms)) inputs[name] = { dateTimeInput: { msSinceEpoch: String(ms), hasDate: true, hasTime: true } };
    }
  }
  return inputs;
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f1f1f;background:#f6f8fc}
a{color:#0b57d0}
:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}
.top,main,.composer{max-width:760px;margin:0 auto;padding:12px}
h1{font-size:1.3rem;margin:.2rem 0}
h2{font-size:1.1rem}
.muted{color:#5f6368;font-size:.9rem;margin:0}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.notices{background:#e6f4ea;border:1px solid #137333;border-radius:8px;padding:4px 12px;margin-bottom:12px}
.messages{list-style:none;padding:0;margin:0}
.message{background:#fff;border-radius:12px;padding:10px 12px;margin:0 0 10px;border:1px solid #dadce0;overflow-wrap:anywhere}
.message.from-app{border-left:4px solid #0b57d0}
.meta{margin:0 0 4px}
.card{border:1px solid #dadce0;border-radius:10px;padding:10px;margin:8px 0;background:#fff}
.card-header h3{margin:0;font-size:1.05rem}
.subtitle{margin:0;color:#5f6368}
.card-section{margin-top:8px}
.card-section.divided{border-top:1px solid #e0e0e0;padding-top:8px}
.card-section h4{margin:0 0 6px;font-size:.95rem;color:#444}
.decorated-text{display:flex;gap:8px;align-items:center;justify-content:space-between;margin:6px 0}
.decorated-body{display:flex;flex-direction:column;min-width:0}
.top-label,.bottom-label{font-size:.85rem;color:#5f6368}
.button-list{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0}
.button{display:inline-flex;align-items:center;justify-content:center;min-height:44px;padding:8px 14px;border-radius:22px;border:1px solid #747775;background:#fff;color:#0b57d0;font:inherit;text-decoration:none;cursor:pointer}
.button.filled{background:#0b57d0;color:#fff;border-color:#0b57d0}
.button[disabled]{color:#5f6368;border-color:#c4c7c5;cursor:not-allowed}
.field{margin:10px 0;border:0;padding:0}
.field label,.field legend{display:block;font-weight:600;margin-bottom:4px}
.field input[type=text],.field textarea,.field select,.field input[type=date],.field input[type=time],.field input[type=datetime-local],.compose-row input{width:100%;min-height:44px;padding:8px;border:1px solid #747775;border-radius:6px;font:inherit}
.choice{display:flex;align-items:center;gap:8px;min-height:36px}
.choice label{font-weight:400;margin:0}
.choice input{width:22px;height:22px}
.hint{font-size:.85rem;color:#5f6368;margin:4px 0 0}
.columns{display:flex;flex-wrap:wrap;gap:12px}
.column{flex:1 1 240px;min-width:0}
.image-alt{display:inline-block;padding:4px 8px;background:#eef0f4;border-radius:4px;font-size:.85rem}
.unsupported{color:#b3261e}
.dialog{border:2px solid #0b57d0;border-radius:12px;padding:8px;margin:0 0 14px;background:#fff}
.composer{position:sticky;bottom:0;background:#f6f8fc;border-top:1px solid #dadce0}
.composer label{display:block;font-weight:600;margin-bottom:4px}
.compose-row{display:flex;gap:8px}
.inline{margin-bottom:8px}
.people{list-style:none;padding:0}
.people>li{background:#fff;border:1px solid #dadce0;border-radius:12px;padding:8px 12px;margin-bottom:10px}
details.overflow{display:inline-block}
.top.wide{max-width:1200px}
.gmail{display:flex;flex-wrap:wrap;align-items:flex-start;gap:12px;max-width:1200px}
.gmail .mail{flex:2 1 420px;min-width:0;background:#fff;border:1px solid #dadce0;border-radius:12px;padding:12px;overflow-wrap:anywhere}
.gmail .addon{flex:1 1 320px;min-width:0;background:#fff;border:1px solid #dadce0;border-left:4px solid #4b2a85;border-radius:12px;padding:10px;overflow-wrap:anywhere}
.mail-list{list-style:none;padding:0;margin:0}
.mail-list li{border-top:1px solid #e0e0e0}
.mail-list li.current{background:#e8f0fe}
.mail-row{display:flex;flex-wrap:wrap;gap:4px 12px;min-height:44px;padding:8px 4px;align-items:center;color:inherit;text-decoration:none}
.mail-row .from{font-weight:600;min-width:0}
.mail-row .subject{flex:1 1 160px;min-width:0}
.headers{display:grid;grid-template-columns:auto 1fr;gap:2px 10px;margin:0 0 12px}
.headers dt{font-weight:600;color:#5f6368}
.headers dd{margin:0;min-width:0}
.mail-body{white-space:pre-wrap;border-top:1px solid #e0e0e0;padding-top:10px}
.addon-title{margin:0 0 6px}
.toast{background:#323232;color:#fff;border-radius:8px;padding:4px 12px;margin:0 0 10px}
.notices[role=alert]{background:#fce8e6;border-color:#b3261e}
.card-footer{display:flex;flex-wrap:wrap;gap:8px;margin-top:10px}
`;

export function page(title: string, body: string, versionPath?: string, version?: number | string): string {
  const nonce = randomBytes(12).toString('base64');
  // New messages from the app arrive on their own (the outbox posts them): reload when the space changes,
  // unless the person is typing or has a dialog open.
  const script = versionPath
    ? `<script nonce="${nonce}">(function(){var v=${JSON.stringify(String(version))};setInterval(function(){`
      + `var a=document.activeElement;if(a&&/^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName))return;if(document.querySelector('.dialog'))return;`
      + `fetch(${JSON.stringify(versionPath)}).then(function(r){return r.text()}).then(function(t){if(t!==v)location.reload()}).catch(function(){})},1500)})();</script>`
    : '';
  return `<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`
    + `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'; connect-src 'self'; form-action 'self'; base-uri 'none'">`
    + `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}${script}</body></html>`;
}

function hashOf(text: string): string {
  let hash = 0;
  for (const character of text) hash = (Math.imul(hash, 31) + character.charCodeAt(0)) >>> 0;
  return hash.toString(36);
}

export async function readForm(request: IncomingMessage): Promise<URLSearchParams | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) return undefined;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export function sendHtml(response: ServerResponse, html: string): void {
  response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });
  response.end(html);
}

export function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  response.end(text);
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
