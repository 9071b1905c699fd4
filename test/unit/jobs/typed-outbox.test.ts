import { createLogger } from '../../../src/logger.ts';
import { chooseChatPlatform, type ChatDelivery } from '../../../src/app/chat-delivery.ts';
import { SAFEGUARDING_KINDS } from '../../../src/app/cases/case-messages.ts';
import { AUP_OUTBOX_KINDS, enqueueOutbox, OUTBOX_KIND_LIST, OUTBOX_KINDS, OUTBOX_PAYLOADS, OutboxPayloadError, PUPIL_PATTERN_KIND, REMOVE_EMAIL_KIND } from '../../../src/app/outbox-catalogue.ts';
import type { ChatPlatform } from '../../../src/domain/chat.ts';
import type { OutboxClaimOptions, OutboxMessage, OutboxMessageInput, OutboxStore, StorageTx } from '../../../src/domain/ports.ts';
import { OutboxDispatcher } from '../../../src/jobs/outbox-dispatcher.ts';
import { CHAT_DELIVERY_KINDS, chatDeliveryHandlers, typedHandler } from '../../../src/jobs/typed-outbox.ts';

function memoryStore(messages: OutboxMessage[]) {
  const completed: string[] = [];
  const failed: { id: string; error: string; retryAt: string | null }[] = [];
  const store: OutboxStore = {
    async claim(options: OutboxClaimOptions) {
      return messages.splice(0, options.limit).filter((m) => options.kinds.includes(m.kind));
    },
    async complete(id) {
      completed.push(id);
    },
    async fail(id, _owner, error, retryAt) {
      failed.push({ id, error, retryAt });
    },
    async defer() {},
    async counts() {
      return { pending: messages.length, done: completed.length, failed: failed.length };
    },
  };
  return { store, completed, failed };
}

const clock = { now: () => new Date('2026-11-23T08:00:00.000Z') };
const message = (id: string, kind: string, payload: Record<string, unknown>, schoolId = 's1'): OutboxMessage => ({ id, schoolId, kind, payload, attempts: 1, createdAt: '2026-11-23T08:00:00.000Z' });

/** A tx whose outbox records what was enqueued. */
function recordingTx() {
  const enqueued: OutboxMessageInput[] = [];
  const tx = { outbox: { enqueue: async (input: OutboxMessageInput) => void enqueued.push(input) } } as unknown as Pick<StorageTx, 'outbox'>;
  return { tx, enqueued };
}

describe('outbox catalogue', () => {
  test('outbox catalogue: every kind has a schema, and the catalogue holds no kind nobody enqueues', () => {
    const kinds = [...Object.values(OUTBOX_KINDS), ...Object.values(AUP_OUTBOX_KINDS), REMOVE_EMAIL_KIND, PUPIL_PATTERN_KIND].sort();
    expect(Object.keys(OUTBOX_PAYLOADS).sort()).toEqual(kinds);
    expect([...OUTBOX_KIND_LIST].sort()).toEqual(kinds);
    for (const kind of SAFEGUARDING_KINDS) expect(kinds).toContain(kind);
    for (const kind of CHAT_DELIVERY_KINDS) expect(kinds).toContain(kind);
    for (const kind of OUTBOX_KIND_LIST) expect(typeof OUTBOX_PAYLOADS[kind].safeParse).toBe('function');
  });

  test('outbox catalogue: enqueue refuses a payload that does not fit its kind, and queues one that fits', async () => {
    const { tx, enqueued } = recordingTx();
    const now = '2026-11-23T08:00:00.000Z';
    await expect(
      // @ts-expect-error -- a notice needs a person and an event: the types refuse it too
      enqueueOutbox(tx, { schoolId: 's1', kind: OUTBOX_KINDS.personNotify, payload: { caseId: 'c1' } }, now),
    ).rejects.toThrow(new OutboxPayloadError(OUTBOX_KINDS.personNotify, ['personId', 'event']));
    await expect(
      // @ts-expect-error -- the event must be one of the notification events
      enqueueOutbox(tx, { schoolId: 's1', kind: OUTBOX_KINDS.personNotify, payload: { caseId: 'c1', personId: 'p1', event: 'gossip' } }, now),
    ).rejects.toBeInstanceOf(OutboxPayloadError);
    await expect(
      // @ts-expect-error -- minutes is a number
      enqueueOutbox(tx, { schoolId: 's1', kind: OUTBOX_KINDS.urgentCheck, payload: { caseId: 'c1', minutes: '15' } }, now),
    ).rejects.toBeInstanceOf(OutboxPayloadError);
    await expect(
      // @ts-expect-error -- not a kind of the catalogue
      enqueueOutbox(tx, { schoolId: 's1', kind: 'case.anything', payload: { caseId: 'c1' } }, now),
    ).rejects.toThrow('no payload schema for "case.anything"');
    expect(enqueued).toEqual([]);

    await enqueueOutbox(tx, { schoolId: 's1', kind: OUTBOX_KINDS.personNotify, payload: { caseId: 'c1', personId: 'p1', event: 'closed' }, dedupeKey: 'k' }, now);
    expect(enqueued).toEqual([{ schoolId: 's1', kind: OUTBOX_KINDS.personNotify, payload: { caseId: 'c1', personId: 'p1', event: 'closed' }, dedupeKey: 'k' }]);
  });

  test('outbox catalogue: a malformed payload is failed permanently and never reaches a handler, its reason naming fields, not values', async () => {
    const { store, completed, failed } = memoryStore([
      message('bad', OUTBOX_KINDS.personNotify, { caseId: 'c1', personId: 'p1', event: 'the child said something' }),
      message('missing', OUTBOX_KINDS.urgentCheck, { caseId: 'c2' }),
      message('good', OUTBOX_KINDS.urgentCheck, { caseId: 'c3', minutes: 15 }),
    ]);
    const dispatcher = new OutboxDispatcher({ store, clock, logger: createLogger('silent') });
    const reached: unknown[] = [];
    dispatcher.register(
      OUTBOX_KINDS.personNotify,
      typedHandler(OUTBOX_KINDS.personNotify, async (m) => void reached.push(m.payload)),
    );
    dispatcher.register(
      OUTBOX_KINDS.urgentCheck,
      typedHandler(OUTBOX_KINDS.urgentCheck, async (m) => void reached.push({ minutes: m.payload.minutes + 0 })),
    );
    expect(await dispatcher.runOnce()).toBe(3);
    expect(reached).toEqual([{ minutes: 15 }]);
    expect(completed).toEqual(['good']);
    expect(failed.map((f) => f.id).sort()).toEqual(['bad', 'missing']);
    for (const failure of failed) expect(failure.retryAt).toBeNull();
    const bad = failed.find((f) => f.id === 'bad')!;
    expect(bad.error).toBe('PermanentDeliveryError: payload does not fit "person.notify" (fields: event)');
    expect(bad.error).not.toContain('the child said');
    expect(failed.find((f) => f.id === 'missing')!.error).toContain('fields: minutes');
  });
});

describe('chat delivery port', () => {
  function fakeDelivery(platform: ChatPlatform, calls: string[]): ChatDelivery {
    const record = (what: string) => async (m: { id: string }) => void calls.push(`${platform}:${what}:${m.id}`);
    return {
      platform,
      postCaseCard: record('post'),
      refreshCaseCard: record('refresh'),
      notifyPerson: record('notify'),
      deliverPolicy: record('deliver'),
      remindPolicy: record('remind'),
      escalatePolicy: record('escalate'),
    };
  }

  test('chat delivery port: each message goes to the delivery chosen for its school, parsed, and a school no platform serves is left alone', async () => {
    const calls: string[] = [];
    const handlers = chatDeliveryHandlers({
      deliveries: { teams: fakeDelivery('teams', calls), google_chat: fakeDelivery('google_chat', calls) },
      choose: async (schoolId) => ({ ms: 'teams', google: 'google_chat' } as Record<string, ChatPlatform>)[schoolId],
    });
    const attempt = { final: false, now: clock.now() };
    await handlers[OUTBOX_KINDS.caseCreated](message('m1', OUTBOX_KINDS.caseCreated, { caseId: 'c1' }, 'ms'), attempt);
    await handlers[OUTBOX_KINDS.personNotify](message('m2', OUTBOX_KINDS.personNotify, { caseId: 'c1', personId: 'p', event: 'acknowledged' }, 'google'), attempt);
    await handlers[AUP_OUTBOX_KINDS.remind](message('m3', AUP_OUTBOX_KINDS.remind, { personId: 'p', policyId: 'x', cycle: '2026', n: 1 }, 'ms'), attempt);
    await handlers[OUTBOX_KINDS.cardRefresh](message('m4', OUTBOX_KINDS.cardRefresh, { caseId: 'c1' }, 'nobody'), attempt);
    expect(calls).toEqual(['teams:post:m1', 'google_chat:notify:m2', 'teams:remind:m3']);
    await expect(handlers[AUP_OUTBOX_KINDS.escalate](message('m5', AUP_OUTBOX_KINDS.escalate, { personId: 'p' }, 'ms'), attempt)).rejects.toThrow('fields: policyId, cycle, startDate');
    expect(calls).toHaveLength(3);
  });

  test('chat delivery port: a pattern card goes to the school’s delivery when it has one, and is left done when it has not', async () => {
    const calls: string[] = [];
    const withPattern: ChatDelivery = { ...fakeDelivery('teams', calls), postPupilPattern: async (m) => void calls.push(`teams:pattern:${m.id}:${m.payload.alertId}`) };
    const handlers = chatDeliveryHandlers({ deliveries: { teams: withPattern, google_chat: fakeDelivery('google_chat', calls) }, choose: async (schoolId) => ({ ms: 'teams', google: 'google_chat' } as Record<string, ChatPlatform>)[schoolId] });
    const attempt = { final: false, now: clock.now() };
    await handlers[PUPIL_PATTERN_KIND](message('m1', PUPIL_PATTERN_KIND, { pupilId: 'p1', alertId: 'a1' }, 'ms'), attempt);
    await handlers[PUPIL_PATTERN_KIND](message('m2', PUPIL_PATTERN_KIND, { pupilId: 'p1', alertId: 'a2' }, 'google'), attempt);
    expect(calls).toEqual(['teams:pattern:m1:a1']);
    await expect(handlers[PUPIL_PATTERN_KIND](message('m3', PUPIL_PATTERN_KIND, { pupilId: 'p1' }, 'ms'), attempt)).rejects.toThrow('fields: alertId');
  });

  test('chat delivery port: the platform is chosen per school by its case channel, then its identity', async () => {
    const channels: Record<string, ChatPlatform> = { a: 'google_chat' };
    const schools: Record<string, { entraTenantId: string | null; googleDomain: string | null }> = {
      a: { entraTenantId: 't', googleDomain: null },
      b: { entraTenantId: 't', googleDomain: null },
      c: { entraTenantId: null, googleDomain: 'school.example' },
    };
    const reader = {
      chat: { getCaseChannel: async (schoolId: string, platform: ChatPlatform) => (channels[schoolId] === platform ? { schoolId, platform } : undefined) },
      schools: { get: async (id: string) => schools[id] },
    };
    const deps = { storage: { read: async <T>(work: (r: StorageTx) => Promise<T>) => work(reader as unknown as StorageTx) } } as unknown as Parameters<typeof chooseChatPlatform>[0];
    const both: ChatPlatform[] = ['teams', 'google_chat'];
    expect(await chooseChatPlatform(deps, { schoolId: 'a', available: both })).toBe('google_chat');
    expect(await chooseChatPlatform(deps, { schoolId: 'b', available: both })).toBe('teams');
    expect(await chooseChatPlatform(deps, { schoolId: 'c', available: both })).toBe('google_chat');
    expect(await chooseChatPlatform(deps, { schoolId: 'c', available: ['teams'] })).toBe('teams');
    expect(await chooseChatPlatform(deps, { schoolId: 'c', available: [] })).toBeUndefined();
  });
});
