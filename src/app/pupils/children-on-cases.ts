import { canActOnCase, canViewCase } from '../../domain/case.ts';
import { casesInWindow, isStatusCurrent, isToLink, PATTERN_CHILD_ROLES, protectionStatusLabel, type PatternCase, type PupilPatternAlert, type StoredCaseChild } from '../../domain/case-children.ts';
import { forbidden, invalidInput, notFound } from '../../domain/errors.ts';
import type { CaseHeader, StorageTx } from '../../domain/ports.ts';
import { DEFAULT_PATTERN_RULE, PROTECTION_STATUS_LABELS, makesPattern, PUPIL_RECORD_ROLES, pupilChoiceOf, type PatternRule, type ProtectionStatusKind, type Pupil, type PupilChoice, type ReportedChild } from '../../domain/pupil.ts';
import { hasAnyRole, type Actor } from '../../domain/roles.ts';
import { enqueueOutbox, PUPIL_PATTERN_KIND } from '../outbox-catalogue.ts';
import type { AppDeps } from '../deps.ts';

/**
 * What the pupils' use cases share: following a merged record to the one that stays, checking who may change a
 * case's children, adding the children a report names, and raising "a pattern for a pupil".
 */

/** Merges are followed at most this far (a record merged into one that was later merged itself). */
const MERGE_HOPS = 10;

/** The record that stays for this pupil id (itself unless it was merged into another), or undefined. */
export async function currentRecordOf(tx: StorageTx, schoolId: string, pupilId: string): Promise<Pupil | undefined> {
  let pupil = await tx.pupils.get(schoolId, pupilId);
  for (let hop = 0; pupil?.mergedInto && hop < MERGE_HOPS; hop += 1) pupil = await tx.pupils.get(schoolId, pupil.mergedInto);
  return pupil;
}

export function isOnRoll(pupil: Pick<Pupil, 'leftOn' | 'mergedInto'>, today: string): boolean {
  return !pupil.mergedInto && (!pupil.leftOn || pupil.leftOn > today);
}

/** A DSL, deputy or head who may act on this case; others are told the case does not exist, or may not change it. */
export async function caseForChildChange(tx: StorageTx, actor: Actor, caseId: string): Promise<CaseHeader> {
  const header = await tx.cases.getHeader(actor.schoolId, caseId);
  if (!header || !canViewCase(actor, header)) throw notFound('That case');
  if (!hasAnyRole(actor, PUPIL_RECORD_ROLES) || !canActOnCase(actor, header)) throw forbidden('Only the DSL, deputy DSLs and the headteacher can change the children on a case.');
  return header;
}

/**
 * The children a report names, checked against the register: a picked child must be a pupil of the school on roll
 * (a merged record counts as the one that stays); a typed name is kept, sealed, for a DSL to link. The same pupil
 * named twice is kept once, with the first role given.
 */
export async function childrenOfReport(tx: StorageTx, schoolId: string, children: readonly ReportedChild[], today: string): Promise<{ pupilId?: string; typedName?: string; role: ReportedChild['role'] }[]> {
  const picked = children.filter((child) => child.pupilId).map((child) => child.pupilId!);
  const found = new Map((picked.length ? await tx.pupils.getMany(schoolId, picked) : []).map((pupil) => [pupil.id, pupil]));
  const result: { pupilId?: string; typedName?: string; role: ReportedChild['role'] }[] = [];
  const seen = new Set<string>();
  for (const [index, child] of children.entries()) {
    if (!child.pupilId) {
      result.push({ typedName: child.name!, role: child.role });
      continue;
    }
    let pupil = found.get(child.pupilId);
    if (pupil?.mergedInto) pupil = await currentRecordOf(tx, schoolId, pupil.id);
    if (!pupil || !isOnRoll(pupil, today)) {
      throw invalidInput('A child picked is not on the school’s roll. Pick the child again from the list, or type their name.', [
        { path: `children.${index}.pupilId`, message: 'Pick a pupil of your school from the list, or give their name instead.' },
      ]);
    }
    if (seen.has(pupil.id)) continue;
    seen.add(pupil.id);
    result.push({ pupilId: pupil.id, role: child.role });
  }
  return result;
}

/** Stores the children a report names on its case; returns them as stored. */
export async function addReportedChildren(
  deps: Pick<AppDeps, 'ids'>,
  tx: StorageTx,
  options: { schoolId: string; caseId: string; reporterId: string; children: readonly { pupilId?: string; typedName?: string; role: ReportedChild['role'] }[]; now: string },
): Promise<StoredCaseChild[]> {
  const onCase = new Set((await tx.caseChildren.listForCase(options.schoolId, options.caseId)).map((child) => child.pupilId).filter(Boolean));
  const stored: StoredCaseChild[] = [];
  for (const child of options.children) {
    if (child.pupilId && onCase.has(child.pupilId)) continue;
    const row: StoredCaseChild = {
      id: deps.ids.newId(),
      schoolId: options.schoolId,
      caseId: options.caseId,
      role: child.role,
      ...(child.pupilId ? { pupilId: child.pupilId, linkedBy: options.reporterId } : { typedName: child.typedName! }),
      addedBy: options.reporterId,
      addedAt: options.now,
      linkedAt: options.now,
    };
    await tx.caseChildren.insert(row);
    stored.push(row);
  }
  return stored;
}

export async function patternRuleOf(tx: StorageTx, schoolId: string): Promise<PatternRule> {
  const stored = await tx.pupilPatterns.getRule(schoolId);
  return stored ? { count: stored.count, days: stored.days, alwaysTypes: stored.alwaysTypes } : DEFAULT_PATTERN_RULE;
}

/**
 * Weighs the school's rule for each pupil a case was just reported with or linked to, in the same transaction: a
 * new pattern is an alert, its audit event and the card for the DSLs. The same cases never raise a second alert:
 * by count, only cases not yet in any alert of the pupil count; by type, only a case not yet in one raises.
 */
export async function raisePupilPatterns(deps: Pick<AppDeps, 'ids' | 'clock'>, tx: StorageTx, options: { schoolId: string; caseId: string; pupilIds: readonly string[]; now: string }): Promise<PupilPatternAlert[]> {
  const { schoolId, caseId, now } = options;
  const pupilIds = [...new Set(options.pupilIds)];
  if (!pupilIds.length) return [];
  const rule = await patternRuleOf(tx, schoolId);
  const raised: PupilPatternAlert[] = [];
  for (const pupilId of [...pupilIds].sort()) {
    await tx.pupilPatterns.lockPupil(schoolId, pupilId);
    const links = (await tx.caseChildren.listForPupils(schoolId, [pupilId])).filter((link) => PATTERN_CHILD_ROLES.includes(link.role));
    if (!links.some((link) => link.caseId === caseId)) continue;
    const cases: PatternCase[] = [];
    for (const id of new Set(links.map((link) => link.caseId))) {
      const header = await tx.cases.getHeader(schoolId, id);
      if (header) cases.push({ caseId: id, createdAt: header.createdAt, types: header.types });
    }
    const newest = cases.find((c) => c.caseId === caseId);
    if (!newest) continue;
    const alerted = new Set<string>();
    for (const alert of await tx.pupilPatterns.listForPupil(schoolId, pupilId)) for (const id of alert.caseIds) alerted.add(id);
    if (alerted.has(caseId)) continue;
    const unalerted = cases.filter((c) => !alerted.has(c.caseId));
    const verdict = makesPattern(rule, unalerted.map((c) => c.createdAt), newest.types, new Date(now));
    if (!verdict.pattern || !verdict.reason) continue;
    const inWindow = casesInWindow(rule, unalerted, new Date(now));
    const caseIds = [...new Set([...inWindow.map((c) => c.caseId), caseId])];
    const alert: PupilPatternAlert = { id: deps.ids.newId(), schoolId, pupilId, reason: verdict.reason, caseIds, createdAt: now };
    await tx.pupilPatterns.insert(alert);
    await tx.audit.append({ schoolId, actorId: null, action: 'pupil.pattern_raised', caseId, detail: { pupilId, alertId: alert.id, reason: alert.reason, cases: caseIds.length } }, now);
    await enqueueOutbox(tx, { schoolId, kind: PUPIL_PATTERN_KIND, payload: { pupilId, alertId: alert.id }, dedupeKey: `${PUPIL_PATTERN_KIND}:${alert.id}` }, now);
    raised.push(alert);
  }
  return raised;
}

/** The children on a case as a DSL sees them on the case: who they are, what they were, which are flagged to link. */
export interface CaseChildView {
  id: string;
  role: StoredCaseChild['role'];
  pupilId?: string;
  /** The pupil's preferred name (year and group in `pupil`), or the name as the reporter typed it. */
  name: string;
  pupil?: PupilChoice;
  /** A typed name nobody has linked to a pupil yet. */
  toLink: boolean;
  addedAt: string;
  linkedAt?: string;
}

export interface CasePupilsView {
  children: CaseChildView[];
  /** Current protection statuses of the linked pupils, as labels (the kind and since when). */
  protectionStatuses: { pupilId: string; statusId: string; kind: ProtectionStatusKind; kindLabel: string; label: string }[];
}

/** For DSL roles only (the caller decides): the case's children and their pupils' current protection statuses. */
export async function casePupilsOf(reader: StorageTx, schoolId: string, caseId: string, today: string): Promise<CasePupilsView> {
  const links = await reader.caseChildren.listForCase(schoolId, caseId);
  const pupilIds = [...new Set(links.flatMap((link) => (link.pupilId ? [link.pupilId] : [])))];
  const pupils = new Map((pupilIds.length ? await reader.pupils.getMany(schoolId, pupilIds) : []).map((pupil) => [pupil.id, pupilChoiceOf(pupil)]));
  const statuses = (await reader.protectionStatuses.listForPupils(schoolId, pupilIds)).filter((status) => isStatusCurrent(status, today));
  return {
    children: links.map((link) => {
      const pupil = link.pupilId ? pupils.get(link.pupilId) : undefined;
      return {
        id: link.id,
        role: link.role,
        ...(link.pupilId ? { pupilId: link.pupilId } : {}),
        name: pupil?.name ?? link.typedName ?? 'A pupil no longer in the register',
        ...(pupil ? { pupil } : {}),
        toLink: isToLink(link),
        addedAt: link.addedAt,
        ...(link.pupilId ? { linkedAt: link.linkedAt } : {}),
      };
    }),
    protectionStatuses: statuses.map((status) => ({ pupilId: status.pupilId, statusId: status.id, kind: status.kind, kindLabel: PROTECTION_STATUS_LABELS[status.kind], label: protectionStatusLabel(status) })),
  };
}
