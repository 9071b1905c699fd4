import { ConnectorClient, type ServiceClientCredentials } from 'botframework-connector';
import { startFakeBotConnector, type FakeBotConnector, type FakeTeamsMember } from '../../fakes/fake-bot-connector.ts';

// The fake is proven against botbuilder's own REST client, so its shapes are the ones the bot really uses.
const TENANT = '9a7e0c1d-0000-4000-8000-0000000000aa';
const CHANNEL = '19:general0c1d@thread.tacv2';
const PERSONAL = 'a:1xYz-personal';
const TEAM_MEMBERS: FakeTeamsMember[] = [
  { id: '29:1alice', name: 'Alice DSL', aadObjectId: 'aaaaaaaa-0000-4000-8000-000000000001', email: 'alice@school.example', userPrincipalName: 'alice@school.example' },
  { id: '29:1bob', name: 'Bob Deputy', aadObjectId: 'bbbbbbbb-0000-4000-8000-000000000002', email: 'bob@school.example', userPrincipalName: 'bob@school.example' },
  { id: '29:1cara', name: 'Cara Head', aadObjectId: 'cccccccc-0000-4000-8000-000000000003', userRole: 'guest' },
];

const signed: ServiceClientCredentials = {
  async signRequest(request) {
    request.headers.set('authorization', 'Bearer connector-test');
    return request;
  },
};

const message = (text: string) => ({ type: 'message', text, conversation: { id: CHANNEL, tenantId: TENANT } });

/** A raw POST, where the SDK's own retry on 429 would hide the answer. */
async function post(connector: FakeBotConnector, conversationId: string, body: unknown = { type: 'message', text: 'hi' }) {
  const response = await fetch(`${connector.url}v3/conversations/${encodeURIComponent(conversationId)}/activities`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer raw' },
    body: JSON.stringify(body),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Record<string, unknown> };
}

describe('fake Bot Connector through botbuilder ConnectorClient', () => {
  let connector: FakeBotConnector;
  let client: ConnectorClient;

  beforeAll(async () => {
    connector = await startFakeBotConnector({ members: { [CHANNEL]: TEAM_MEMBERS }, requireAuth: true });
    client = new ConnectorClient(signed, { baseUri: connector.url });
  });
  beforeEach(() => connector.reset());
  afterAll(() => connector.close());

  test('url is a serviceUrl ending in /', () => {
    expect(connector.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  test('create a channel thread, send, reply, update and delete', async () => {
    const created = await client.conversations.createConversation({
      isGroup: true,
      bot: { id: '28:bot', name: 'DSL Desk' },
      tenantId: TENANT,
      channelData: { channel: { id: CHANNEL }, tenant: { id: TENANT } },
      activity: { type: 'message', text: 'New case' } as never,
    } as never);
    expect(created.id).toBe(`${CHANNEL};messageid=${created.activityId}`);
    expect(connector.activities(CHANNEL)).toEqual([expect.objectContaining({ id: created.activityId, text: 'New case' })]);

    const sent = await client.conversations.sendToConversation(created.id, { type: 'message', text: 'in thread' } as never);
    const replied = await client.conversations.replyToActivity(CHANNEL, created.activityId!, message('a reply') as never);
    expect(connector.activities(created.id)).toEqual([expect.objectContaining({ id: sent.id, text: 'in thread', conversation: { id: created.id } })]);
    expect(connector.activities(CHANNEL)[1]).toMatchObject({ id: replied.id, text: 'a reply', replyToId: created.activityId });

    const updated = await client.conversations.updateActivity(CHANNEL, created.activityId!, { type: 'message', text: 'New case (acknowledged)' } as never);
    expect(updated.id).toBe(created.activityId);
    expect(connector.stored(CHANNEL)[0]).toMatchObject({ edits: 1, activity: { text: 'New case (acknowledged)' } });

    await client.conversations.deleteActivity(CHANNEL, replied.id);
    expect(connector.activities(CHANNEL).map((a) => a.id)).toEqual([created.activityId]);

    expect(connector.stats()).toMatchObject({ posts: 3, updates: 1, deletes: 1, creates: 1, throttled: 0 });
    expect(connector.calls.map((c) => c.route)).toEqual(['create', 'send', 'reply', 'update', 'delete']);
    expect(connector.calls.every((c) => c.authorization === 'Bearer connector-test' && c.tenantId === TENANT && typeof c.at === 'number')).toBe(true);
  });

  test('a 1:1 chat keeps its id for the same person', async () => {
    const parameters = { isGroup: false, bot: { id: '28:bot' }, members: [{ id: '29:1alice' }], tenantId: TENANT, channelData: { tenant: { id: TENANT } } };
    const first = await client.conversations.createConversation(parameters as never);
    const again = await client.conversations.createConversation(parameters as never);
    expect(again.id).toBe(first.id);
    expect(first.activityId).toBeUndefined();
    const member = await client.conversations.getConversationMember(first.id, '29:1alice');
    expect(member).toMatchObject({ id: '29:1alice', aadObjectId: 'aaaaaaaa-0000-4000-8000-000000000001' });
  });

  test('members come back Teams-style; one member by MRI or Entra object id; paged with a continuation token', async () => {
    const all = await client.conversations.getConversationMembers(CHANNEL);
    expect(all).toHaveLength(3);
    expect(all[0]).toMatchObject({ id: '29:1alice', name: 'Alice DSL', aadObjectId: 'aaaaaaaa-0000-4000-8000-000000000001', email: 'alice@school.example', userPrincipalName: 'alice@school.example', userRole: 'user' });
    expect(all[2]).toMatchObject({ userRole: 'guest' });

    expect(await client.conversations.getConversationMember(CHANNEL, '29:1bob')).toMatchObject({ name: 'Bob Deputy' });
    expect(await client.conversations.getConversationMember(CHANNEL, 'bbbbbbbb-0000-4000-8000-000000000002')).toMatchObject({ id: '29:1bob' });
    // A thread shares its channel's roster.
    expect(await client.conversations.getConversationMembers(`${CHANNEL};messageid=42`)).toHaveLength(3);

    // The SDK's types make both options required; an absent token is simply left out of the query.
    const first = await client.conversations.getConversationPagedMembers(CHANNEL, { pageSize: 2 } as never);
    expect(first.members.map((m) => m.id)).toEqual(['29:1alice', '29:1bob']);
    expect(first.continuationToken).toEqual(expect.any(String));
    const second = await client.conversations.getConversationPagedMembers(CHANNEL, { pageSize: 2, continuationToken: first.continuationToken! });
    expect(second.members.map((m) => m.id)).toEqual(['29:1cara']);
    expect(second.continuationToken).toBeUndefined();

    await expect(client.conversations.getConversationMember(CHANNEL, '29:nobody')).rejects.toMatchObject({ statusCode: 404 });
    await expect(client.conversations.getConversationMembers('19:unknown@thread.tacv2')).rejects.toMatchObject({ statusCode: 404 });
  });

  test('a conversation set to fail answers 403 BotNotInConversationRoster, which the SDK does not retry', async () => {
    connector.failWith(CHANNEL, 403);
    const error = await client.conversations.sendToConversation(CHANNEL, message('x') as never).catch((e: unknown) => e);
    expect(error).toMatchObject({ statusCode: 403, code: 'BotNotInConversationRoster' });
    expect(connector.calls).toHaveLength(1);
    expect(connector.stats()).toMatchObject({ failed: 1, posts: 0 });
  });

  test('failWith with a custom body and a count, e.g. one 412 then success', async () => {
    connector.failWith(CHANNEL, 412, { error: { code: 'PreconditionFailed', message: 'Conflict' } }, { times: 1 });
    await expect(client.conversations.sendToConversation(CHANNEL, message('x') as never)).rejects.toMatchObject({ statusCode: 412 });
    await expect(client.conversations.sendToConversation(CHANNEL, message('x') as never)).resolves.toMatchObject({ id: expect.any(String) });
  });

  test('the SDK retries a 429 by itself after Retry-After, so callers see success', async () => {
    connector.failWith(CHANNEL, 429, { error: { code: 'Throttled', message: 'slow down' } }, { times: 1, retryAfterSeconds: 1 });
    const started = Date.now();
    await expect(client.conversations.sendToConversation(CHANNEL, message('x') as never)).resolves.toMatchObject({ id: expect.any(String) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(connector.calls.map((c) => c.status)).toEqual([429, 200]);
  });

  test('requireAuth refuses a call without a bearer token', async () => {
    const response = await fetch(`${connector.url}v3/conversations/${encodeURIComponent(CHANNEL)}/members`);
    expect(response.status).toBe(401);
    expect(connector.calls[0]).toMatchObject({ route: 'members', status: 401 });
    expect(connector.calls[0]?.authorization).toBeUndefined();
  });

  test('an update of an unknown activity is a 404', async () => {
    await expect(client.conversations.updateActivity(CHANNEL, 'no-such-activity', message('x') as never)).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe('fake Bot Connector rate limits', () => {
  let connector: FakeBotConnector;
  let clock: number;

  beforeAll(async () => {
    clock = 1_000_000;
    connector = await startFakeBotConnector({ now: () => clock });
  });
  beforeEach(() => {
    clock += 10_000_000;
    connector.reset();
  });
  afterAll(() => connector.close());

  test('8 quick sends to one conversation: the 8th gets 429 with Retry-After', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 8; i++) {
      const response = await post(connector, CHANNEL);
      statuses.push(response.status);
      if (response.status === 429) retryAfter = response.retryAfter;
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 429]);
    expect(retryAfter).toBe('1');
    expect(connector.stats()).toMatchObject({ posts: 7, throttled: 1, byConversation: { [CHANNEL]: { posts: 7, throttled: 1 } } });
    // Another conversation has its own window.
    expect((await post(connector, PERSONAL)).status).toBe(200);
  });

  test('8 per 2 seconds', async () => {
    for (let i = 0; i < 7; i++) expect((await post(connector, CHANNEL)).status).toBe(200);
    clock += 1000;
    expect((await post(connector, CHANNEL)).status).toBe(200);
    clock += 1;
    const refused = await post(connector, CHANNEL);
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBe('1');
    clock += 1000;
    expect((await post(connector, CHANNEL)).status).toBe(200);
  });

  test('60 per 30 seconds', async () => {
    for (let i = 0; i < 60; i++) {
      expect((await post(connector, CHANNEL)).status).toBe(200);
      clock += 300;
    }
    const refused = await post(connector, CHANNEL);
    expect(refused.status).toBe(429);
    // The first send (at -18 s) leaves the window in 12 s.
    expect(refused.retryAfter).toBe('12');
  });

  test('1800 per hour', async () => {
    for (let i = 0; i < 1800; i++) {
      const { status } = await post(connector, CHANNEL);
      if (status !== 200) throw new Error(`send ${i} answered ${status}`);
      clock += 600;
    }
    const refused = await post(connector, CHANNEL);
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBe(3600 - 1080);
  }, 60_000);

  test('PUT updates count as sends', async () => {
    const { body } = await post(connector, CHANNEL);
    const update = () =>
      fetch(`${connector.url}v3/conversations/${encodeURIComponent(CHANNEL)}/activities/${String(body.id)}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'message', text: 'edit' }) });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await update()).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429]);
    expect(connector.stats()).toMatchObject({ posts: 1, updates: 6, throttled: 1 });
  });

  test('50 requests per second per tenant, across conversations and reads', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 49; i++) statuses.push((await post(connector, `19:c${i}@thread.tacv2`, { type: 'message', text: 'x', channelData: { tenant: { id: TENANT } } })).status);
    // A read of a conversation the fake knows to be in that tenant counts too.
    statuses.push((await fetch(`${connector.url}v3/conversations/${encodeURIComponent('19:c0@thread.tacv2')}/members`)).status);
    statuses.push((await post(connector, '19:c50@thread.tacv2', { type: 'message', text: 'x', channelData: { tenant: { id: TENANT } } })).status);
    expect(statuses.filter((s) => s === 429)).toEqual([429]);
    expect(statuses[50]).toBe(429);
    expect(connector.calls[49]).toMatchObject({ route: 'members', tenantId: TENANT });
    // Another tenant is not affected.
    expect((await post(connector, '19:other@thread.tacv2', { type: 'message', text: 'x', conversation: { tenantId: 'another-tenant' } })).status).toBe(200);
    clock += 1000;
    expect((await post(connector, '19:c0@thread.tacv2', { type: 'message', text: 'x', channelData: { tenant: { id: TENANT } } })).status).toBe(200);
  });
});

describe('fake Bot Connector random throttling', () => {
  async function statusesWithSeed(seed: number): Promise<number[]> {
    const connector = await startFakeBotConnector({ throttleRatio: 0.5, seed });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await post(connector, `19:c${i}@thread.tacv2`)).status);
      return statuses;
    } finally {
      await connector.close();
    }
  }

  test('the same seed throttles the same calls', async () => {
    const first = await statusesWithSeed(7);
    expect(first).toContain(429);
    expect(first).toContain(200);
    expect(await statusesWithSeed(7)).toEqual(first);
    expect(await statusesWithSeed(8)).not.toEqual(first);
  });
});
