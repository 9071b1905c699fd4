import { lastCaseActivity, summariseCase, type CaseSummary } from '../../domain/case-summary.ts';
import { CHANNEL_TARGET, type CaseCardRecord, type CaseChannel, type ChatPlatform } from '../../domain/chat.ts';
import type { PersonWithRoles } from '../../domain/ports.ts';
import { canActOnCase, canViewCase, ROLES_NOTIFIED_OF_NEW_CASES } from '../../domain/case.ts';
import { CASE_HANDLER_ROLES, type Actor, type Role } from '../../domain/roles.ts';
import { chatUserName } from '../../domain/google-workspace.ts';
import { removalProgressOf, type EmailRemovalProgress } from '../../domain/mailbox-removal.ts';
import { nowIso, type AppDeps } from '../deps.ts';
import { PUPIL_RECORD_ROLES } from '../../domain/pupil.ts';
import { hasAnyRole } from '../../domain/roles.ts';
import { casePupilsOf } from '../pupils/children-on-cases.ts';

/** A person who handles cases, as a chat card needs them: to mention them and to give them their own view. */
export interface CaseHandlerContact {
  personId: string;
  displayName: string;
  entraObjectId: string | null;
  /** Their platform id: once they have used the bot (Teams), or from their Google account (Google Chat). */
  chatUserId?: string;
}

/**
 * Whether a posted card already shows everything on it: the case's version it rendered, and the "remove from
 * every mailbox" progress as it was when the card was last written (progress moves without a new case version).
 */
export function caseCardIsCurrent(card: Pick<CaseCardRecord, 'renderedVersion' | 'updatedAt'>, context: Pick<CaseCardContext, 'summary' | 'emailRemovalChangedAt'>): boolean {
  if (card.renderedVersion < context.summary.version) return false;
  return !context.emailRemovalChangedAt || context.emailRemovalChangedAt <= card.updatedAt;
}

export interface CaseCardContext {
  summary: CaseSummary;
  channel?: CaseChannel;
  /** The channel card already posted for this case, if any. */
  card?: CaseCardRecord;
  /** DSLs and deputies: mentioned on urgent cases, and shown the card with its actions. */
  handlers: CaseHandlerContact[];
  /** Whether the person looking (when one is given) may act on the case, decided from our records. */
  viewerMayAct: boolean;
  /** Whether they may see it at all; a restricted case shows others only that it exists. */
  viewerMaySee: boolean;
  /** Whether the person looking is the one the case is assigned to (they are not offered "Assign to me"). */
  viewerIsAssignee: boolean;
  /** The last thing done on the case, with who did it (no name when DSL Desk itself did it). */
  lastActivity?: { label: string; byName?: string; at: string };
  /**
   * Who the case can be given to ("Assign to…"): everyone the domain lets hold it, minus its assignee. Listed
   * only for a viewer who may act, so the shared card never carries it.
   */
  assignable: { personId: string; displayName: string; roles: Role[] }[];
  /** "Remove from every mailbox" for the case's email, when asked for: how far it has got (counts only). */
  emailRemoval?: EmailRemovalProgress;
  /**
   * Only when the viewer is a DSL, deputy or head who may see the case (their own view, never the shared card): how
   * many children are on it, how many typed names wait to be linked, and the current protection statuses of the
   * linked pupils, as labels.
   */
  pupils?: { children: number; toLink: number; protectionStatuses: string[] };
  /** When the removal's progress last changed: it is not part of the case's version, so a card edit compares it. */
  emailRemovalChangedAt?: string;
}

/**
 * What a chat surface needs to post or edit a case's channel card. When DSL Desk itself reads this (posting or
 * editing the shared card) no person opens the case and no access event is written; when a person's own view is
 * rendered (`recordView`, Teams' card refresh), that is an access and is recorded with the read.
 */
export async function prepareCaseCard(
  deps: AppDeps,
  options: {
    schoolId: string;
    caseId: string;
    platform: ChatPlatform;
    viewer?: Actor;
    onlyWithChannel?: boolean;
    /**
     * The card is being shown to the viewer (Teams' refresh of their view): an access event, written in the
     * same transaction as the read, as getCase writes `case.viewed`.
     */
    recordView?: { trigger: 'automatic' | 'manual' };
  },
): Promise<CaseCardContext | undefined> {
  const { schoolId, caseId, platform, viewer } = options;
  const recording = Boolean(options.recordView && viewer);
  return (recording ? deps.storage.transaction.bind(deps.storage) : deps.storage.read.bind(deps.storage))(async (reader) => {
    // Delivery asks first whether there is a channel at all, so a school without one costs one small read.
    if (options.onlyWithChannel && !(await reader.chat.getCaseChannel(schoolId, platform))) return undefined;
    const found = await reader.cases.get(schoolId, caseId);
    if (!found) return undefined;
    const activity = lastCaseActivity(await reader.audit.listForCase(schoolId, caseId));
    const people = new Map<string, PersonWithRoles>();
    const ids = new Set([found.reporters[0]?.personId, found.assigneeId, found.acknowledgedById, activity?.actorId].filter((id): id is string => Boolean(id)));
    for (const id of ids) {
      const person = await reader.people.get(schoolId, id);
      if (person) people.set(id, person);
    }
    const handlers = new Map<string, PersonWithRoles>();
    for (const role of ROLES_NOTIFIED_OF_NEW_CASES) {
      for (const person of await reader.people.listWithRole(schoolId, role)) if (person.active) handlers.set(person.id, person);
    }
    const viewerMayAct = viewer ? canActOnCase(viewer, found) : false;
    if (recording && viewer && options.recordView) {
      await reader.audit.append(
        { schoolId, actorId: viewer.personId, action: 'case.card_viewed', caseId, detail: { surface: platform, trigger: options.recordView.trigger, mayView: canViewCase(viewer, found) } },
        nowIso(deps),
      );
    }
    const assignable = new Map<string, PersonWithRoles>();
    if (viewerMayAct) {
      for (const role of [...CASE_HANDLER_ROLES, 'chair_of_governors'] as const) {
        for (const person of await reader.people.listWithRole(schoolId, role)) {
          const asActor: Actor = { schoolId: person.schoolId, personId: person.id, displayName: person.displayName, roles: person.roles };
          if (person.active && person.id !== found.assigneeId && canActOnCase(asActor, found)) assignable.set(person.id, person);
        }
      }
    }
    const chatUsers = new Map((await reader.chat.listUsers(schoolId, [...handlers.keys()], platform)).map((user) => [user.personId, user]));
    const channel = await reader.chat.getCaseChannel(schoolId, platform);
    const card = await reader.chat.getCaseCard(schoolId, caseId, CHANNEL_TARGET);
    const [removal] = await reader.mailboxRemovals.listForCase(schoolId, caseId);
    const pupils = viewer && hasAnyRole(viewer, PUPIL_RECORD_ROLES) && canViewCase(viewer, found) ? await casePupilsOf(reader, schoolId, caseId, nowIso(deps).slice(0, 10)) : undefined;
    return {
      ...(pupils ? { pupils: { children: pupils.children.length, toLink: pupils.children.filter((child) => child.toLink).length, protectionStatuses: [...new Set(pupils.protectionStatuses.map((status) => status.kindLabel))] } } : {}),
      ...(removal ? { emailRemoval: removalProgressOf(removal), emailRemovalChangedAt: removal.updatedAt } : {}),
      viewerMayAct,
      viewerMaySee: viewer ? canViewCase(viewer, found) : false,
      viewerIsAssignee: Boolean(viewer && found.assigneeId === viewer.personId),
      ...(activity ? { lastActivity: { label: activity.label, ...(activity.actorId ? { byName: people.get(activity.actorId)?.displayName ?? 'Someone no longer listed' } : {}), at: activity.at } } : {}),
      assignable: [...assignable.values()]
        .sort((a, b) => a.displayName.localeCompare(b.displayName, 'en-GB'))
        .map((person) => ({ personId: person.id, displayName: person.displayName, roles: [...person.roles] })),
      summary: await (async () => {
        const [email] = await reader.emails.listForCase(schoolId, caseId);
        return summariseCase(found, (id) => people.get(id)?.displayName, email?.analysis, email?.decision);
      })(),
      ...(channel ? { channel } : {}),
      ...(card ? { card } : {}),
      handlers: [...handlers.values()]
        .filter((person) => person.id !== found.subjectPersonId)
        .map((person) => {
          // Google Chat names a person by their Google account id, which the directory or their sign-in gave us:
          // a DSL is mentioned on an urgent case before they have ever written to the app.
          const chatUserId = chatUsers.get(person.id)?.userId ?? (platform === 'google_chat' && person.googleSubject ? chatUserName(person.googleSubject) : undefined);
          return { personId: person.id, displayName: person.displayName, entraObjectId: person.entraObjectId, ...(chatUserId ? { chatUserId } : {}) };
        }),
    };
  });
}
