import { OAuth2Client } from 'google-auth-library';
import { chat, type chat_v1 } from 'googleapis/build/src/apis/chat/index.js';
import { createGoogleChatApi, ChatCallError } from '../../bot/google-chat/chat-api.ts';
import { startFakeChatRest, type FakeChatRest } from '../../scripts/workspace-client/fake-chat-rest.ts';

const SPACE = 'spaces/dsl-space';
const TEACHER = 'users/1001';

function authWith(token: string): OAuth2Client {
  // Native fetch: gaxios otherwise imports node-fetch lazily, which jest's CommonJS runtime cannot load.
  const auth = new OAuth2Client({ transporterOptions: { fetchImplementation: (input, init) => fetch(input, init) } });
  auth.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
  return auth;
}

describe('fake Chat REST API, called through googleapis with rootUrl', () => {
  let clock = 1_000_000;
  let fake: FakeChatRest;
  let client: chat_v1.Chat;

  beforeEach(async () => {
    clock = 1_000_000;
    fake = await startFakeChatRest({
      accessToken: 'test-token',
      spaces: [{ name: SPACE, displayName: 'Safeguarding', members: [TEACHER] }],
      directMessages: { [TEACHER]: 'spaces/dm-teacher' },
      now: () => clock,
    });
    client = chat({ version: 'v1', auth: authWith('test-token'), rootUrl: fake.url, retry: false });
  });
  afterEach(() => fake.close());

  it('creates a message, gets it, lists it and patches it under an update mask', async () => {
    const created = await client.spaces.messages.create({ parent: SPACE, requestBody: { text: 'New case', cardsV2: [{ cardId: 'c', card: { header: { title: 'Case 1' } } }] } });
    expect(created.data.name).toMatch(/^spaces\/dsl-space\/messages\/.+/);
    expect(created.data.sender?.type).toBe('BOT');
    expect(fake.calls.map((call) => call.route)).toEqual(['messages.create']);

    clock += 1_000;
    await client.spaces.messages.patch({ name: created.data.name!, updateMask: 'cardsV2', requestBody: { text: 'ignored', cardsV2: [{ cardId: 'c', card: { header: { title: 'Acknowledged' } } }] } });
    const got = await client.spaces.messages.get({ name: created.data.name! });
    expect(got.data.text).toBe('New case');
    expect((got.data.cardsV2?.[0]?.card as { header: { title: string } }).header.title).toBe('Acknowledged');
    expect(got.data.lastUpdateTime).toBeDefined();

    const listed = await client.spaces.messages.list({ parent: SPACE });
    expect(listed.data.messages?.map((m) => m.name)).toEqual([created.data.name]);
    expect(fake.stats().bySpace[SPACE]).toMatchObject({ writes: 2, creates: 1, updates: 1, throttled: 0, maxWritesPerSecond: 1 });
  });

  it('names a message by messageId, refuses a second one with that id (409) and a malformed id (400)', async () => {
    const first = await client.spaces.messages.create({ parent: SPACE, messageId: 'client-case-1', requestBody: { text: 'one' } });
    expect(first.data.name).toBe(`${SPACE}/messages/client-case-1`);
    clock += 1_000;
    await expect(client.spaces.messages.create({ parent: SPACE, messageId: 'client-case-1', requestBody: { text: 'two' } }))
      .rejects.toMatchObject({ status: 409 });
    await expect(client.spaces.messages.create({ parent: SPACE, messageId: 'Case_1', requestBody: { text: 'two' } }))
      .rejects.toMatchObject({ status: 400 });
    expect(fake.messages(SPACE).map((m) => m.text)).toEqual(['one']);
  });

  it('answers a repeated requestId with the first message', async () => {
    const api = createGoogleChatApi({ auth: authWith('test-token'), rootUrl: fake.url });
    const first = await api.createMessage({ space: SPACE, message: { text: 'once' }, requestId: 'req-1' });
    clock += 1_000;
    const again = await api.createMessage({ space: SPACE, message: { text: 'twice' }, requestId: 'req-1' });
    expect(again.name).toBe(first.name);
    expect(fake.messages(SPACE)).toHaveLength(1);
    expect(fake.stats().bySpace[SPACE]).toMatchObject({ creates: 1, repeats: 1 });
  });

  it('finds a user\'s DM with the app, and answers 404 for a user without one', async () => {
    const api = createGoogleChatApi({ auth: authWith('test-token'), rootUrl: fake.url });
    await expect(api.findDirectMessage(TEACHER)).resolves.toEqual({ name: 'spaces/dm-teacher' });
    await expect(api.findDirectMessage('users/9999')).resolves.toBeUndefined();
    expect(fake.calls.map((call) => [call.route, call.status])).toEqual([['spaces.findDirectMessage', 200], ['spaces.findDirectMessage', 404]]);
    fake.addDirectMessage('users/9999');
    await expect(api.findDirectMessage('users/9999')).resolves.toEqual({ name: 'spaces/dm-9999' });
  });

  it('refuses a wrong or missing bearer token with 401', async () => {
    const wrong = chat({ version: 'v1', auth: authWith('other-token'), rootUrl: fake.url, retry: false });
    await expect(wrong.spaces.messages.create({ parent: SPACE, requestBody: { text: 'x' } })).rejects.toMatchObject({ status: 401 });
    const response = await fetch(`${fake.url}v1/spaces/dsl-space/messages`);
    expect(response.status).toBe(401);
    expect(fake.messages(SPACE)).toHaveLength(0);
    expect(fake.stats().unauthorised).toBe(2);
  });

  it('answers 404 for a space the app is not in, and 403 to patching a person\'s message', async () => {
    await expect(client.spaces.messages.create({ parent: 'spaces/elsewhere', requestBody: { text: 'x' } })).rejects.toMatchObject({ status: 404 });
    const human = fake.postMessage(SPACE, { text: 'hello', sender: { name: TEACHER, type: 'HUMAN' } });
    await expect(client.spaces.messages.patch({ name: human.name, updateMask: 'text', requestBody: { text: 'edited' } })).rejects.toMatchObject({ status: 403 });
  });

  it('holds a space to one write a second with 429 and Retry-After, counting throttles per space', async () => {
    const api = createGoogleChatApi({ auth: authWith('test-token'), rootUrl: fake.url });
    await api.createMessage({ space: SPACE, message: { text: 'a' } });
    clock += 400;
    const refused = await api.createMessage({ space: SPACE, message: { text: 'b' } }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ChatCallError);
    expect(refused).toMatchObject({ status: 429, retryable: true, retryAfterMs: 1_000 });
    // Another space has its own window.
    fake.addSpace({ name: 'spaces/other' });
    await api.createMessage({ space: 'spaces/other', message: { text: 'c' } });
    clock += 600;
    await api.createMessage({ space: SPACE, message: { text: 'b' } });
    const stats = fake.stats();
    expect(stats.throttled).toBe(1);
    expect(stats.bySpace[SPACE]).toMatchObject({ writes: 2, throttled: 1, maxWritesPerSecond: 1 });
    expect(fake.messages(SPACE).map((m) => m.text)).toEqual(['a', 'b']);
  });

  it('holds the project to its writes per minute, and reports the busiest second of a space', async () => {
    await fake.close();
    fake = await startFakeChatRest({ accessToken: 't', spaces: [{ name: SPACE }], spaceWritesPerSecond: 5, projectWritesPerMinute: 3, now: () => clock });
    const api = createGoogleChatApi({ auth: authWith('t'), rootUrl: fake.url });
    for (const text of ['1', '2', '3']) await api.createMessage({ space: SPACE, message: { text } });
    await expect(api.createMessage({ space: SPACE, message: { text: '4' } })).rejects.toMatchObject({ status: 429, retryAfterMs: 60_000 });
    clock += 60_000;
    await api.createMessage({ space: SPACE, message: { text: '4' } });
    expect(fake.stats().bySpace[SPACE]).toMatchObject({ writes: 4, throttled: 1, maxWritesPerSecond: 3 });
  });

  it('fails the next writes on demand and tells listeners about every change', async () => {
    const changes: string[] = [];
    fake.onChange((change) => changes.push(`${change.kind}:${change.message.text ?? ''}`));
    fake.failNextWrites(503, { retryAfterSeconds: 7 });
    const api = createGoogleChatApi({ auth: authWith('test-token'), rootUrl: fake.url });
    await expect(api.createMessage({ space: SPACE, message: { text: 'x' } })).rejects.toMatchObject({ status: 503, retryAfterMs: 7_000 });
    const { name } = await api.createMessage({ space: SPACE, message: { text: 'x' } });
    fake.updateMessage(name, { text: 'y' });
    expect(changes).toEqual(['created:x', 'updated:y']);
  });
});
