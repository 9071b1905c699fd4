import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PLAYGROUND_CONVERSATIONS } from '../../../scripts/playground/identities.ts';

/**
 * A tiny bot for proving the end-to-end harness without DSL Desk: it speaks the Bot Connector protocol
 * the way DSL Desk's Teams bot does (replies through the activity's serviceUrl, Adaptive Cards with
 * Action.Execute, invoke responses, a proactive post into a channel, editing that post, and a notice
 * back in the personal chat).
 *
 * - "card"            → a card with a "Note" input and a "Press me" button (verb echo.press)
 * - "form"            → a form like DSL Desk's concern form (multi-select, text, choice, toggle; verb echo.submit)
 * - "post to channel" → a card posted into the DSL Cases channel with an "Acknowledge" button (verb echo.acknowledge)
 * - anything else     → "Echo: <text>"
 * - echo.press        → the card comes back updated: who pressed it, what they typed, the count
 * - echo.submit       → a card listing the values the form sent
 * - echo.acknowledge  → the channel post is edited to "Acknowledged by …", and the chat that asked for the
 *                        post is told so
 */

export interface Activity {
  type: string;
  id?: string;
  name?: string;
  text?: string;
  value?: any;
  from: { id: string; name?: string; aadObjectId?: string };
  recipient: { id: string; name?: string };
  conversation: { id: string; conversationType?: string; tenantId?: string };
  channelData?: any;
  serviceUrl: string;
  replyToId?: string;
  entities?: any[];
  [key: string]: unknown;
}

export interface EchoBot {
  /** The messaging endpoint to give the playground. */
  endpoint: string;
  /** Every activity received, in order. */
  activities: Activity[];
  close(): Promise<void>;
}

const CARD = 'application/vnd.microsoft.card.adaptive';

function pressCard(title: string, count: number) {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body: [
      { type: 'TextBlock', text: title, weight: 'Bolder', wrap: true },
      { type: 'Input.Text', id: 'note', label: 'Note' },
      { type: 'TextBlock', text: `Pressed ${count} times`, wrap: true },
    ],
    actions: [{ type: 'Action.Execute', title: 'Press me', verb: 'echo.press', data: { count } }],
  };
}

function formCard() {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body: [
      { type: 'TextBlock', text: 'Echo form', weight: 'Bolder', wrap: true },
      {
        type: 'Input.ChoiceSet',
        id: 'types',
        label: 'What kind of thing? (choose all that apply)',
        isMultiSelect: true,
        style: 'compact',
        choices: [
          { title: 'Online bullying', value: 'online_bullying' },
          { title: 'Sexting', value: 'sexting' },
          { title: 'Other', value: 'other' },
        ],
      },
      { type: 'Input.Text', id: 'description', label: 'What happened?', isMultiline: true, isRequired: true, errorMessage: 'Say what happened.' },
      {
        type: 'Input.ChoiceSet',
        id: 'location',
        label: 'Where did it happen?',
        style: 'compact',
        value: 'unknown',
        choices: [
          { title: 'Inside school', value: 'inside_school' },
          { title: 'Outside school', value: 'outside_school' },
          { title: 'Not sure', value: 'unknown' },
        ],
      },
      { type: 'Input.Toggle', id: 'childAtImmediateRisk', label: 'Is a child at immediate risk?', title: 'Yes, a child is at immediate risk', valueOn: 'true', valueOff: 'false' },
    ],
    actions: [{ type: 'Action.Execute', title: 'Send it', verb: 'echo.submit', data: { formId: 'form-1' }, associatedInputs: 'auto' }],
  };
}

function channelCard(status: string, withButton: boolean) {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body: [
      { type: 'TextBlock', text: 'ECHO-1: a channel card', weight: 'Bolder', wrap: true },
      { type: 'TextBlock', text: status, wrap: true },
    ],
    actions: withButton ? [{ type: 'Action.Execute', title: 'Acknowledge', verb: 'echo.acknowledge', data: { ref: 'ECHO-1' } }] : [],
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}

async function connector(serviceUrl: string, method: string, path: string, body: unknown): Promise<any> {
  const response = await fetch(`${serviceUrl.replace(/\/$/, '')}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return text ? JSON.parse(text) : {};
}

function reply(activity: Activity, content: Record<string, unknown>): Promise<any> {
  return connector(activity.serviceUrl, 'POST', `/v3/conversations/${encodeURIComponent(activity.conversation.id)}/activities`, {
    type: 'message',
    from: activity.recipient,
    recipient: activity.from,
    conversation: activity.conversation,
    replyToId: activity.id,
    ...content,
  });
}

export async function startEchoBot(options: { port?: number } = {}): Promise<EchoBot> {
  const activities: Activity[] = [];
  // Where "post to channel" put its card, and the chat that asked for it.
  let channelPost: { conversationId: string; activityId: string; requestedIn: Activity } | undefined;

  async function onMessage(activity: Activity): Promise<void> {
    const text = (activity.text ?? '').replace(/<at>[^<]*<\/at>/g, '').trim();
    if (text === 'card') {
      await reply(activity, { attachments: [{ contentType: CARD, content: pressCard('Echo card', 0) }] });
    } else if (text === 'form') {
      await reply(activity, { attachments: [{ contentType: CARD, content: formCard() }] });
    } else if (text === 'post to channel') {
      const created = await connector(activity.serviceUrl, 'POST', '/v3/conversations', {
        isGroup: true,
        channelData: { channel: { id: PLAYGROUND_CONVERSATIONS.casesChannel } },
        activity: { type: 'message', attachments: [{ contentType: CARD, content: channelCard('Waiting for someone to acknowledge.', true) }] },
      });
      channelPost = { conversationId: created.id, activityId: created.activityId, requestedIn: activity };
      await reply(activity, { text: 'Posted to the channel.' });
    } else {
      await reply(activity, { text: `Echo: ${text}` });
    }
  }

  async function onCardAction(activity: Activity): Promise<unknown> {
    const action = activity.value?.action ?? {};
    const data = action.data ?? {};
    if (action.verb === 'echo.press') {
      const who = `${activity.from.name ?? activity.from.id} (${activity.from.aadObjectId ?? 'no object id'})`;
      const card = pressCard(`Pressed by ${who}. Note: ${data.note ?? ''}`, Number(data.count ?? 0) + 1);
      return { statusCode: 200, type: CARD, value: card };
    }
    if (action.verb === 'echo.submit') {
      const card = { type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock', text: `Received: ${JSON.stringify(data)}`, wrap: true }] };
      return { statusCode: 200, type: CARD, value: card };
    }
    if (action.verb === 'echo.acknowledge' && channelPost) {
      const card = channelCard(`Acknowledged by ${activity.from.name ?? activity.from.id}.`, false);
      // Edit the post for everyone who sees the channel, then tell the person who asked for it.
      await connector(activity.serviceUrl, 'PUT', `/v3/conversations/${encodeURIComponent(channelPost.conversationId)}/activities/${channelPost.activityId}`, {
        type: 'message',
        id: channelPost.activityId,
        attachments: [{ contentType: CARD, content: card }],
      });
      await reply(channelPost.requestedIn, { text: `${data.ref} was acknowledged by ${activity.from.name ?? activity.from.id}.` });
      return { statusCode: 200, type: CARD, value: card };
    }
    return { statusCode: 400, type: 'application/vnd.microsoft.error', value: { code: 'BadRequest', message: `Unknown verb ${String(action.verb)}` } };
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.url !== '/api/messages') {
      response.writeHead(404).end();
      return;
    }
    // The playground checks that the endpoint is up with HEAD before it connects.
    if (request.method !== 'POST') {
      response.writeHead(200).end();
      return;
    }
    const activity = JSON.parse(await readBody(request)) as Activity;
    activities.push(activity);
    if (activity.type === 'invoke' && activity.name === 'adaptiveCard/action') {
      const body = await onCardAction(activity);
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      return;
    }
    response.writeHead(200).end();
    if (activity.type === 'message') await onMessage(activity);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      process.stderr.write(`echo bot: ${error instanceof Error ? error.message : String(error)}\n`);
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}/api/messages`,
    activities,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
