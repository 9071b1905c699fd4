import { auditHash, canonicalAuditPayload, findFirstBreak, GENESIS_HASH, type AuditAction, type AuditDetail, type AuditEvent } from '../../../src/domain/audit.ts';

const SCHOOL = 'school-a';

type Draft = { action: AuditAction; actorId: string | null; caseId?: string; detail?: AuditDetail };

/** Builds a correctly linked chain the way the store does: seq from 1, each event pointing at the previous hash. */
function chain(drafts: Draft[]): AuditEvent[] {
  const events: AuditEvent[] = [];
  let prevHash = GENESIS_HASH;
  drafts.forEach((draft, index) => {
    const body: Omit<AuditEvent, 'hash'> = {
      id: `evt-${index + 1}`,
      schoolId: SCHOOL,
      seq: index + 1,
      at: new Date(Date.UTC(2026, 10, 23, 8, index)).toISOString(),
      actorId: draft.actorId,
      action: draft.action,
      caseId: draft.caseId ?? null,
      policyId: null,
      detail: draft.detail ?? {},
      prevHash,
    };
    const hash = auditHash(body);
    events.push({ ...body, hash });
    prevHash = hash;
  });
  return events;
}

const DRAFTS: Draft[] = [
  { action: 'school.created', actorId: null, detail: { slug: 'school-a' } },
  { action: 'case.created', actorId: 'p-staff', caseId: 'case-1', detail: { reference: 'CASE-2026-0001', urgency: 'urgent' } },
  { action: 'case.assigned', actorId: 'p-dsl', caseId: 'case-1', detail: { assigneeId: 'p-deputy', status: 'in_progress' } },
  { action: 'case.protocol_step_ticked', actorId: 'p-deputy', caseId: 'case-1', detail: { step: 'online_bullying.evidence_kept' } },
  { action: 'case.closed', actorId: 'p-dsl', caseId: 'case-1', detail: { status: 'closed', reopened: false, count: 2, note: null } },
];

function rehash(event: AuditEvent): AuditEvent {
  const { hash: _old, ...body } = event;
  return { ...body, hash: auditHash(body) };
}

describe('a correctly built chain', () => {
  it('has no break, with or without a matching head record', () => {
    const events = chain(DRAFTS);
    const last = events[events.length - 1]!;
    expect(findFirstBreak(SCHOOL, events, undefined)).toBeUndefined();
    expect(findFirstBreak(SCHOOL, events, { seq: last.seq, hash: last.hash })).toBeUndefined();
  });

  it('an empty chain is intact, and so is its genesis head', () => {
    expect(findFirstBreak(SCHOOL, [], undefined)).toBeUndefined();
    expect(findFirstBreak(SCHOOL, [], { seq: 0, hash: GENESIS_HASH })).toBeUndefined();
  });

  it('starts at GENESIS_HASH and links every event to the one before', () => {
    const events = chain(DRAFTS);
    expect(GENESIS_HASH).toBe('0'.repeat(64));
    expect(events[0]!.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < events.length; i += 1) expect(events[i]!.prevHash).toBe(events[i - 1]!.hash);
    for (const event of events) expect(event.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts any iterable, such as a generator streaming rows', () => {
    const events = chain(DRAFTS);
    function* stream() {
      yield* events;
    }
    expect(findFirstBreak(SCHOOL, stream(), { seq: 5, hash: events[4]!.hash })).toBeUndefined();
  });
});

describe('an edited event is found at its own seq', () => {
  const edits: [string, (e: AuditEvent) => AuditEvent][] = [
    ['detail value', (e) => ({ ...e, detail: { ...e.detail, assigneeId: 'p-someone-else' } })],
    ['detail key added', (e) => ({ ...e, detail: { ...e.detail, extra: true } })],
    ['detail key removed', (e) => ({ ...e, detail: { status: e.detail.status ?? null } })],
    ['actorId', (e) => ({ ...e, actorId: 'p-head' })],
    ['actorId set to null', (e) => ({ ...e, actorId: null })],
    ['at', (e) => ({ ...e, at: '2026-11-23T07:00:00.000Z' })],
    ['action', (e) => ({ ...e, action: 'case.escalated' })],
    ['caseId', (e) => ({ ...e, caseId: 'case-2' })],
    ['policyId', (e) => ({ ...e, policyId: 'policy-1' })],
    ['id', (e) => ({ ...e, id: 'evt-x' })],
    ['schoolId', (e) => ({ ...e, schoolId: 'school-b' })],
    ['hash itself', (e) => ({ ...e, hash: 'f'.repeat(64) })],
  ];

  it.each(edits)('%s → hash_mismatch at seq 3', (_field, edit) => {
    const events = chain(DRAFTS);
    const edited = edit(events[2]!);
    expect(edited).not.toEqual(events[2]);
    events[2] = edited;
    expect(findFirstBreak(SCHOOL, events, { seq: 5, hash: events[4]!.hash })).toEqual({ schoolId: SCHOOL, seq: 3, eventId: edited.id, reason: 'hash_mismatch' });
  });

  it('an edit of the first event is caught at seq 1', () => {
    const events = chain(DRAFTS);
    events[0] = { ...events[0]!, detail: { slug: 'other' } };
    expect(findFirstBreak(SCHOOL, events, undefined)).toMatchObject({ seq: 1, reason: 'hash_mismatch' });
  });

  it('an edit of the last event is caught even without a head record', () => {
    const events = chain(DRAFTS);
    events[4] = { ...events[4]!, actorId: 'p-head' };
    expect(findFirstBreak(SCHOOL, events, undefined)).toMatchObject({ seq: 5, reason: 'hash_mismatch', eventId: 'evt-5' });
  });

  it('an edited event whose hash was recomputed breaks the link from the next event', () => {
    const events = chain(DRAFTS);
    events[2] = rehash({ ...events[2]!, detail: { assigneeId: 'p-head', status: 'in_progress' } });
    expect(findFirstBreak(SCHOOL, events, undefined)).toEqual({ schoolId: SCHOOL, seq: 4, eventId: 'evt-4', reason: 'prev_hash_mismatch' });
  });

  it('an edited, recomputed last event no longer matches the head record', () => {
    const events = chain(DRAFTS);
    const head = { seq: 5, hash: events[4]!.hash };
    events[4] = rehash({ ...events[4]!, detail: { status: 'closed' } });
    expect(findFirstBreak(SCHOOL, events, head)).toEqual({ schoolId: SCHOOL, seq: 6, eventId: null, reason: 'head_mismatch' });
  });
});

describe('removed, reordered and relinked events', () => {
  it('removing a middle event → sequence_gap at the missing seq', () => {
    const events = chain(DRAFTS);
    events.splice(2, 1);
    expect(findFirstBreak(SCHOOL, events, undefined)).toEqual({ schoolId: SCHOOL, seq: 3, eventId: null, reason: 'sequence_gap' });
  });

  it('removing the first event → sequence_gap at seq 1', () => {
    expect(findFirstBreak(SCHOOL, chain(DRAFTS).slice(1), undefined)).toMatchObject({ seq: 1, reason: 'sequence_gap' });
  });

  it('two events swapped → sequence_gap where the order breaks', () => {
    const events = chain(DRAFTS);
    [events[1], events[2]] = [events[2]!, events[1]!];
    expect(findFirstBreak(SCHOOL, events, undefined)).toMatchObject({ seq: 2, reason: 'sequence_gap' });
  });

  it('a changed prevHash → prev_hash_mismatch at that seq', () => {
    const events = chain(DRAFTS);
    events[3] = { ...events[3]!, prevHash: events[1]!.hash };
    expect(findFirstBreak(SCHOOL, events, undefined)).toEqual({ schoolId: SCHOOL, seq: 4, eventId: 'evt-4', reason: 'prev_hash_mismatch' });
  });

  it('a first event not pointing at genesis → prev_hash_mismatch at seq 1', () => {
    const events = chain(DRAFTS);
    events[0] = rehash({ ...events[0]!, prevHash: 'a'.repeat(64) });
    expect(findFirstBreak(SCHOOL, events, undefined)).toMatchObject({ seq: 1, reason: 'prev_hash_mismatch' });
  });

  it('a renumbered chain with a row removed and seqs closed up is still caught', () => {
    const events = chain(DRAFTS);
    events.splice(2, 1);
    for (let i = 2; i < events.length; i += 1) events[i] = { ...events[i]!, seq: i + 1 };
    // evt-4, now numbered 3, still points at the removed evt-3.
    expect(findFirstBreak(SCHOOL, events, undefined)).toEqual({ schoolId: SCHOOL, seq: 3, eventId: 'evt-4', reason: 'prev_hash_mismatch' });
  });
});

describe('a truncated tail', () => {
  it('is consistent on its own, but caught by the head record → head_mismatch after the last remaining seq', () => {
    const events = chain(DRAFTS);
    const head = { seq: 5, hash: events[4]!.hash };
    const truncated = events.slice(0, 3);
    expect(findFirstBreak(SCHOOL, truncated, undefined)).toBeUndefined();
    expect(findFirstBreak(SCHOOL, truncated, head)).toEqual({ schoolId: SCHOOL, seq: 4, eventId: null, reason: 'head_mismatch' });
  });

  it('every row removed, head remaining → head_mismatch at seq 1', () => {
    const events = chain(DRAFTS);
    expect(findFirstBreak(SCHOOL, [], { seq: 5, hash: events[4]!.hash })).toMatchObject({ seq: 1, reason: 'head_mismatch' });
  });

  it('a head whose hash does not match the last event → head_mismatch', () => {
    const events = chain(DRAFTS);
    expect(findFirstBreak(SCHOOL, events, { seq: 5, hash: events[3]!.hash })).toMatchObject({ seq: 6, reason: 'head_mismatch' });
  });
});

describe('canonicalAuditPayload', () => {
  const base: Omit<AuditEvent, 'hash'> = {
    id: 'evt-1',
    schoolId: SCHOOL,
    seq: 1,
    at: '2026-11-23T08:00:00.000Z',
    actorId: 'p-dsl',
    action: 'case.assigned',
    caseId: 'case-1',
    policyId: null,
    detail: { status: 'in_progress', assigneeId: 'p-deputy', count: 1 },
    prevHash: GENESIS_HASH,
  };

  it('does not depend on the order of detail keys', () => {
    const reordered = { ...base, detail: { count: 1, assigneeId: 'p-deputy', status: 'in_progress' } };
    expect(canonicalAuditPayload(reordered)).toBe(canonicalAuditPayload(base));
    expect(auditHash(reordered)).toBe(auditHash(base));
  });

  it('does not depend on the order of the event fields', () => {
    const { detail, prevHash, ...rest } = base;
    expect(auditHash({ prevHash, detail, ...rest })).toBe(auditHash(base));
  });

  it('distinguishes values that merely look alike', () => {
    expect(auditHash({ ...base, detail: { ...base.detail, count: '1' } })).not.toBe(auditHash(base));
    expect(auditHash({ ...base, actorId: null })).not.toBe(auditHash({ ...base, actorId: 'null' }));
    expect(auditHash({ ...base, caseId: null, policyId: 'case-1' })).not.toBe(auditHash(base));
  });

  it('is a SHA-256 hex digest of the payload and leaves out the hash field', () => {
    const withHash = { ...base, hash: 'anything' } as AuditEvent;
    expect(auditHash(base)).toMatch(/^[0-9a-f]{64}$/);
    expect(canonicalAuditPayload(withHash)).toBe(canonicalAuditPayload(base));
    expect(canonicalAuditPayload(base)).not.toContain('anything');
  });
});
