import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AuditEvent } from './audit.ts';

/**
 * Seals of a school's audit chain head. The hash chain alone only shows that rows changed if whoever changed
 * them did not also recompute every hash after them; someone who can write the database can. A seal is an
 * HMAC, with a key kept outside the database, over a school's chain head at one moment (its sequence number
 * and hash). Because each hash covers every event before it, a seal vouches for the whole chain up to that
 * head: a chain rewritten afterwards no longer has that hash at that sequence number, and the attacker cannot
 * make a new seal without the key. Seals are numbered per school, so one deleted from the middle leaves a gap.
 */
export interface AuditSeal {
  schoolId: string;
  /** 1, 2, 3… per school. */
  sealSeq: number;
  headSeq: number;
  headHash: string;
  /** Which sealing key made it (`data:<DATA_KEYS id>` or `audit:<AUDIT_KEY id>`); never the key itself. */
  keyId: string;
  sealedAt: string;
  /** HMAC-SHA256 (hex) of the canonical seal. */
  mac: string;
}

/** The keys seals are made and checked with: the current one signs, every one verifies. */
export interface AuditSealKeys {
  currentKeyId: string;
  keys: ReadonlyMap<string, Buffer>;
}

export function canonicalSealPayload(seal: Omit<AuditSeal, 'mac'>): string {
  return JSON.stringify(['dsl-desk-audit-seal-v1', seal.schoolId, seal.sealSeq, seal.headSeq, seal.headHash, seal.keyId, seal.sealedAt]);
}

export function sealMac(key: Buffer, seal: Omit<AuditSeal, 'mac'>): string {
  return createHmac('sha256', key).update(canonicalSealPayload(seal)).digest('hex');
}

/** A new seal of `head`, following `previous` (the school's latest seal, if any). */
export function makeSeal(keys: AuditSealKeys, input: { schoolId: string; head: { seq: number; hash: string }; previous: AuditSeal | undefined; at: string }): AuditSeal {
  const key = keys.keys.get(keys.currentKeyId);
  if (!key) throw new Error(`The audit sealing key "${keys.currentKeyId}" is not configured.`);
  const unsigned: Omit<AuditSeal, 'mac'> = {
    schoolId: input.schoolId,
    sealSeq: (input.previous?.sealSeq ?? 0) + 1,
    headSeq: input.head.seq,
    headHash: input.head.hash,
    keyId: keys.currentKeyId,
    sealedAt: input.at,
  };
  return { ...unsigned, mac: sealMac(key, unsigned) };
}

/** A seal is only worth making when the chain grew since the last one. */
export function needsSeal(head: { seq: number; hash: string } | undefined, latest: AuditSeal | undefined): boolean {
  if (!head || head.seq === 0) return false;
  return !latest || latest.headSeq !== head.seq || latest.headHash !== head.hash;
}

/** Why a school's seals do not vouch for its chain, naming the first bad seal. */
export interface AuditSealProblem {
  schoolId: string;
  sealSeq: number;
  /** The chain position the seal covers (null when the seal itself is missing). */
  headSeq: number | null;
  reason: 'seal_missing' | 'seal_unknown_key' | 'seal_forged' | 'seal_head_mismatch';
  /** For seal_unknown_key: the key id the seal names. */
  keyId?: string;
}

/**
 * Checks one school's seals (in seal order) against its events (in sequence order). Every seal must be
 * numbered without gaps, made with a key we hold, carry a valid HMAC, and name a head the chain still has:
 * the event at that sequence number with that hash.
 */
export function findSealProblem(schoolId: string, seals: readonly AuditSeal[], events: readonly AuditEvent[], keys: AuditSealKeys): AuditSealProblem | undefined {
  const hashBySeq = new Map<number, string>();
  for (const event of events) hashBySeq.set(event.seq, event.hash);
  let expected = 1;
  for (const seal of seals) {
    if (seal.sealSeq !== expected) return { schoolId, sealSeq: expected, headSeq: null, reason: 'seal_missing' };
    expected += 1;
    const key = keys.keys.get(seal.keyId);
    if (!key) return { schoolId, sealSeq: seal.sealSeq, headSeq: seal.headSeq, reason: 'seal_unknown_key', keyId: seal.keyId };
    const { mac, ...unsigned } = seal;
    const good = Buffer.from(sealMac(key, unsigned), 'hex');
    const given = Buffer.from(mac, 'hex');
    if (given.length !== good.length || !timingSafeEqual(given, good)) return { schoolId, sealSeq: seal.sealSeq, headSeq: seal.headSeq, reason: 'seal_forged' };
    if (hashBySeq.get(seal.headSeq) !== seal.headHash) return { schoolId, sealSeq: seal.sealSeq, headSeq: seal.headSeq, reason: 'seal_head_mismatch' };
  }
  return undefined;
}

/** What `audit verify` prints for each seal problem. */
export function describeSealProblem(problem: AuditSealProblem): string {
  switch (problem.reason) {
    case 'seal_missing':
      return `seal #${problem.sealSeq} is missing (seals were deleted)`;
    case 'seal_unknown_key':
      return `seal #${problem.sealSeq} was made with key "${problem.keyId}", which is not configured (a forged seal, or a key removed from DATA_KEYS / AUDIT_KEY)`;
    case 'seal_forged':
      return `seal #${problem.sealSeq} (event #${problem.headSeq}) does not carry a valid signature: it was altered or forged`;
    case 'seal_head_mismatch':
      return `event #${problem.headSeq} no longer matches seal #${problem.sealSeq}: the chain was rewritten after it was sealed`;
  }
}
