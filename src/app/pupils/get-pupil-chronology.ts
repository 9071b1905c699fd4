import type { AuditAction } from '../../domain/audit.ts';
import { canViewCase, type CaseStatus } from '../../domain/case.ts';
import { protectionStatusLabel, type StoredProtectionStatus } from '../../domain/case-children.ts';
import { notFound } from '../../domain/errors.ts';
import type { IncidentTypeCode, Urgency } from '../../domain/incident-types.ts';
import type { StorageTx } from '../../domain/ports.ts';
import { PROTECTION_STATUS_LABELS, PUPIL_RECORD_ROLES, pupilChoiceOf, type CaseChildRole, type PupilChoice } from '../../domain/pupil.ts';
import { hasAnyRole, type Actor } from '../../domain/roles.ts';
import { nowIso, type AppDeps } from '../deps.ts';
import { currentRecordOf } from './children-on-cases.ts';

/** What the chronology says someone did on a case: the decisions, not every view or card. */
const ACTED: Partial<Record<AuditAction, string>> = {
  'case.acknowledged': 'acknowledged',
  'case.assigned': 'assigned',
  'case.escalated': 'escalated',
  'case.action_recorded': 'action_recorded',
  'case.closed': 'closed',
  'case.reopened': 'reopened',
};

export interface ChronologyCase {
  caseId: string;
  reference: string;
  reportedAt: string;
  types: IncidentTypeCode[];
  urgency: Urgency;
  status: CaseStatus;
  restricted: boolean;
  /** What the child was to the case (several when linked more than once, e.g. after a merge). */
  roles: CaseChildRole[];
  outcome?: { summary: string; by: string; at: string };
  /** Who acknowledged, escalated, closed… the case, by name, oldest first. */
  acted: { action: string; by: string; at: string }[];
  notes: { at: string; by: string; text: string }[];
}

export interface PupilChronology {
  pupil: PupilChoice;
  /** The record asked for, when it had been merged into this one. */
  askedFor?: string;
  /** Records merged into this one (their links now show here). */
  mergedRecords: string[];
  /** Every case linked to the pupil that the reader may see, oldest first. */
  cases: ChronologyCase[];
  /** Linked cases the reader may not see (restricted): counted, never shown. */
  hiddenCases: number;
  protectionStatuses: (Omit<StoredProtectionStatus, 'schoolId'> & { label: string; kindLabel: string })[];
}

/**
 * The child's chronology for the DSLs, deputies and the head: every case linked to the pupil (and to records
 * merged into theirs), oldest first, with who acted and the notes across cases, and the pupil's protection
 * statuses. A restricted case shows only to those who may open it. Reading it is an access event, written in the
 * same transaction; anyone else is told the pupil does not exist.
 */
export async function getPupilChronology(deps: AppDeps, options: { actor: Actor; pupilId: string }): Promise<PupilChronology> {
  const { actor } = options;
  if (!hasAnyRole(actor, PUPIL_RECORD_ROLES)) throw notFound('That pupil');
  return deps.storage.transaction(async (tx) => {
    const asked = await tx.pupils.get(actor.schoolId, options.pupilId);
    // Asking for a record that was merged shows the child's one chronology, on the record that stays.
    const pupil = asked ? await currentRecordOf(tx, actor.schoolId, asked.id) : undefined;
    if (!pupil) throw notFound('That pupil');
    const links = await tx.caseChildren.listForPupils(actor.schoolId, [pupil.id]);
    const rolesByCase = new Map<string, CaseChildRole[]>();
    for (const link of links) rolesByCase.set(link.caseId, [...new Set([...(rolesByCase.get(link.caseId) ?? []), link.role])]);
    const names = new NameBook(tx, actor.schoolId);
    const cases: ChronologyCase[] = [];
    let hiddenCases = 0;
    for (const [caseId, roles] of rolesByCase) {
      const header = await tx.cases.getHeader(actor.schoolId, caseId);
      if (!header) continue;
      // Authorised on the plain columns first, as when opening a case: a restricted case is never decrypted here.
      if (!canViewCase(actor, header)) {
        hiddenCases += 1;
        continue;
      }
      const found = await tx.cases.get(actor.schoolId, caseId);
      if (!found) continue;
      const acted: ChronologyCase['acted'] = [];
      for (const event of await tx.audit.listForCase(actor.schoolId, caseId)) {
        const action = ACTED[event.action];
        if (action) acted.push({ action, by: await names.of(event.actorId), at: event.at });
      }
      const notes: ChronologyCase['notes'] = [];
      for (const note of found.notes) notes.push({ at: note.at, by: await names.of(note.authorId), text: note.text });
      cases.push({
        caseId,
        reference: found.reference,
        reportedAt: found.createdAt,
        types: [...found.types],
        urgency: found.urgency,
        status: found.status,
        restricted: found.restricted,
        roles,
        ...(found.outcome ? { outcome: { summary: found.outcome.summary, by: await names.of(found.outcome.byId), at: found.outcome.at } } : {}),
        acted,
        notes,
      });
    }
    cases.sort((a, b) => a.reportedAt.localeCompare(b.reportedAt) || a.reference.localeCompare(b.reference));
    const statuses = await tx.protectionStatuses.listForPupils(actor.schoolId, [pupil.id]);
    const merges = await tx.caseChildren.listMergesInto(actor.schoolId, pupil.id);
    await tx.audit.append(
      { schoolId: actor.schoolId, actorId: actor.personId, action: 'pupil.chronology_viewed', detail: { pupilId: pupil.id, cases: cases.length, hiddenCases } },
      nowIso(deps),
    );
    return {
      pupil: pupilChoiceOf(pupil),
      ...(asked && asked.id !== pupil.id ? { askedFor: asked.id } : {}),
      mergedRecords: merges.map((merge) => merge.fromPupilId),
      cases,
      hiddenCases,
      protectionStatuses: statuses.map(({ schoolId: _school, ...status }) => ({ ...status, kindLabel: PROTECTION_STATUS_LABELS[status.kind], label: protectionStatusLabel(status) })),
    };
  });
}

/** Display names by person id, each looked up once. */
class NameBook {
  readonly #tx: StorageTx;
  readonly #schoolId: string;
  readonly #names = new Map<string, string>();
  constructor(tx: StorageTx, schoolId: string) {
    this.#tx = tx;
    this.#schoolId = schoolId;
  }

  async of(personId: string | null | undefined): Promise<string> {
    if (!personId) return 'DSL Desk';
    let name = this.#names.get(personId);
    if (name === undefined) {
      name = (await this.#tx.people.get(this.#schoolId, personId))?.displayName ?? 'Someone no longer listed';
      this.#names.set(personId, name);
    }
    return name;
  }
}
