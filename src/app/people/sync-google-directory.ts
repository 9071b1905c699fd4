import { classifyDirectoryUser } from '../../domain/directory.ts';
import type { AupProfile, AupSettings } from '../../domain/aup-delivery.ts';
import { AppError, isAppError } from '../../domain/errors.ts';
import {
  asDirectoryUser,
  backoffUntil,
  cursorAfter,
  isStaffOrgUnit,
  reportsStartTime,
  unseenEvents,
  type ReportsCursor,
  type WorkspaceAdmin,
  type WorkspaceDirectory,
  type WorkspaceUser,
} from '../../domain/google-directory.ts';
import { membershipOf } from '../../domain/organisation.ts';
import type { GoogleDirectoryProgress, GoogleDirectoryState, StorageTx } from '../../domain/ports.ts';
import { linkPupilAccount } from '../pupils/link-pupil-account.ts';
import type { PupilAccountRule } from '../../domain/pupil-accounts.ts';
import { upsertPerson } from './add-person.ts';
import { aupSettingsFor } from '../aup/aup-context.ts';
import { nowIso, OPERATOR, type AppDeps } from '../deps.ts';
import { membershipContextFor } from './membership-context.ts';
import { welcomeNewStarterInTransaction } from '../aup/welcome-new-starter.ts';

type MembershipContext = Awaited<ReturnType<typeof membershipContextFor>>;

/** `events`: the Reports API's CREATE_USER events since the cursor. `reconcile`: every account (users.list), the safety net. */
export type GoogleDirectorySource = 'events' | 'reconcile';

export interface GoogleDirectorySyncResult {
  source: GoogleDirectorySource;
  /** Why nothing was read: the school has no Google admin set, or Google asked DSL Desk to wait. */
  skipped?: 'not_connected' | 'backing_off';
  /** The first read of the school: accounts already there become people, but none is a new starter. */
  baseline: boolean;
  events: number;
  seen: number;
  newStarters: number;
  updated: number;
  left: number;
  ignored: number;
}

/** The directory facts kept for a Google account: the shared ones, plus where it lives in Workspace. */
type StoredGoogleDirectory = AupProfile['directory'] & {
  identity?: { provider: 'google'; tenantId: string; objectId: string };
  orgUnitPath?: string;
};

type Outcome = 'newStarters' | 'updated' | 'left' | 'ignored';

/**
 * Finds a Google Workspace school's new starters, as the school's admin by domain-wide delegation. Both
 * sources run the same rules (applyWorkspaceUser): staff org units only, no suspended, archived or service
 * accounts, the trust's membership rules; a new account created after DSL Desk connected becomes a person
 * (staff) and is sent their policy once. An account both sources report is one person (found by its Google
 * id), so it is never welcomed twice. Each event is applied in one transaction with the cursor that says it
 * was, so a restart resumes exactly after it. Failures back the school off (Google's Retry-After, or 1, 2,
 * 4 … minutes up to an hour) and are kept for the operator without naming any account.
 */
export async function syncGoogleDirectory(
  deps: AppDeps,
  options: { schoolId: string; directory: WorkspaceDirectory; source: GoogleDirectorySource },
): Promise<GoogleDirectorySyncResult> {
  const { schoolId, directory, source } = options;
  const { school, state, settings, membership, pupilAccountRule } = await deps.storage.read(async (reader) => {
    const found = await reader.schools.get(schoolId);
    return {
      school: found,
      state: await reader.googleDirectory.get(schoolId),
      settings: await aupSettingsFor(reader, schoolId),
      membership: found ? await membershipContextFor(reader, found.organisationId) : undefined,
      pupilAccountRule: await reader.pupils.getAccountRule(schoolId),
    };
  });
  if (!school || !membership) throw new AppError('not_found', 'That school was not found.');
  const result: GoogleDirectorySyncResult = { source, baseline: false, events: 0, seen: 0, newStarters: 0, updated: 0, left: 0, ignored: 0 };
  if (!state) return { ...result, skipped: 'not_connected' };
  const now = deps.clock.now();
  if (state.notBefore && Date.parse(state.notBefore) > now.getTime()) return { ...result, skipped: 'backing_off' };

  const domain = (school.googleDomain ?? state.adminEmail.split('@')[1] ?? '').toLowerCase();
  const admin: WorkspaceAdmin = { domain, adminEmail: state.adminEmail };
  const baselineAt = state.baselineAt ?? now.toISOString();
  result.baseline = state.baselineAt === null;
  const progress: GoogleDirectoryProgress = {
    baselineAt,
    reportsCursor: state.reportsCursor,
    reconciledAt: state.reconciledAt,
    lastRunAt: now.toISOString(),
    lastError: null,
    failures: 0,
    notBefore: null,
  };
  const context: ApplyContext = { schoolId, domain, baselineAt, settings, membership, staffOrgUnits: state.staffOrgUnits, pupilAccountRule };
  const count = (outcome: Outcome) => {
    result.seen += 1;
    result[outcome] += 1;
  };

  try {
    if (source === 'events') {
      // The first read starts now: earlier CREATE_USER events are accounts that were there already.
      let cursor: ReportsCursor = state.reportsCursor ?? { time: baselineAt, seen: [] };
      const events = unseenEvents(cursor, await directory.createdUserEvents(admin, reportsStartTime(cursor)));
      result.events = events.length;
      for (const event of events) {
        const user = await directory.getUser(admin, event.email);
        cursor = cursorAfter(cursor, event);
        progress.reportsCursor = cursor;
        await deps.storage.transaction(async (tx) => {
          count(user ? await applyWorkspaceUser(deps, tx, context, user) : 'ignored');
          await tx.googleDirectory.saveProgress(schoolId, progress, nowIso(deps));
        });
      }
      progress.reportsCursor = cursor;
    } else {
      await directory.listUsers(admin, async (users) => {
        await deps.storage.transaction(async (tx) => {
          for (const user of users) count(await applyWorkspaceUser(deps, tx, context, user));
        });
      });
      progress.reconciledAt = now.toISOString();
    }
    await deps.storage.transaction(async (tx) => {
      const at = nowIso(deps);
      await tx.googleDirectory.saveProgress(schoolId, progress, at);
      await tx.audit.append(
        { schoolId, actorId: null, action: 'directory.synced', detail: { provider: 'google', source, baseline: result.baseline, events: result.events, seen: result.seen, newStarters: result.newStarters, left: result.left, ignored: result.ignored } },
        at,
      );
    });
    return result;
  } catch (error) {
    const failures = state.failures + 1;
    const failed: GoogleDirectoryProgress = {
      ...progress,
      lastError: isAppError(error) ? error.userMessage : 'Reading the Google Workspace directory failed; it will be tried again.',
      failures,
      notBefore: backoffUntil(now, failures, isAppError(error) ? error.retryAfterSeconds : undefined),
    };
    await deps.storage.transaction((tx) => tx.googleDirectory.saveProgress(schoolId, failed, nowIso(deps)));
    throw error;
  }
}

interface ApplyContext {
  schoolId: string;
  domain: string;
  baselineAt: string;
  settings: AupSettings;
  membership: MembershipContext;
  staffOrgUnits: string[];
  /** The school's rule for pupils' accounts, when it has one: such an account is linked to its pupil, never staff. */
  pupilAccountRule?: PupilAccountRule | undefined;
}

/** Who this account is to the school: a new starter, someone known (updated or left), or nobody DSL Desk serves. */
async function applyWorkspaceUser(deps: AppDeps, tx: StorageTx, context: ApplyContext, user: WorkspaceUser): Promise<Outcome> {
  const { schoolId, settings } = context;
  const now = nowIso(deps);
  if (context.pupilAccountRule && !user.suspended) {
    // As for Microsoft 365: a pupil's account is linked to the pupil (by the UPN the rule reads from its address).
    const pupil = await linkPupilAccount(tx, { schoolId, rule: context.pupilAccountRule, accountId: user.id, address: user.primaryEmail, now });
    if (pupil.pupilAccount) return 'ignored';
  }
  let person = await tx.people.findByGoogleSubject(schoolId, user.id);
  const verdict = classifyDirectoryUser(asDirectoryUser(user), { serviceAccountPatterns: settings.serviceAccountPatterns });
  const staff = isStaffOrgUnit(user.orgUnitPath, context.staffOrgUnits);
  const inSchool = membershipOf({ email: user.primaryEmail, department: user.department }, context.membership).schoolIds.includes(schoolId);
  if (verdict.kind === 'ignored' || !staff || !inSchool) {
    // Suspended, moved to a pupils' unit or to another school of the trust: someone known has left.
    if (person?.active && (verdict.kind === 'ignored' ? verdict.reason === 'disabled' : true)) {
      await tx.people.update({ ...person, active: false, updatedAt: now });
      const reason = verdict.kind === 'ignored' ? 'directory_disabled' : !staff ? 'directory_not_staff' : 'directory_other_school';
      await tx.audit.append({ schoolId, actorId: null, action: 'person.updated', detail: { personId: person.id, active: false, reason } }, now);
      return 'left';
    }
    return 'ignored';
  }

  let created = false;
  if (!person) {
    // Someone the office already added (by CSV or as a new starter) is linked, not created twice.
    const byEmail = await tx.people.findByEmail(schoolId, user.primaryEmail);
    if (byEmail && byEmail.googleSubject && byEmail.googleSubject !== user.id) return 'ignored';
    const upserted = await upsertPerson(deps, tx, {
      actor: OPERATOR,
      schoolId,
      person: { displayName: user.fullName ?? byEmail?.displayName ?? user.primaryEmail, email: user.primaryEmail, roles: byEmail ? [] : ['staff'], googleSubject: user.id },
    });
    person = upserted.person;
    created = upserted.created;
  } else if (!person.active || (user.fullName && user.fullName !== person.displayName)) {
    person = { ...person, active: true, displayName: user.fullName ?? person.displayName, updatedAt: now };
    await tx.people.update(person);
    await tx.audit.append({ schoolId, actorId: null, action: 'person.updated', detail: { personId: person.id, active: true, reason: 'directory_google' } }, now);
  }

  const profile = await tx.aupProfiles.get(schoolId, person.id);
  const directory: StoredGoogleDirectory = {
    ...(profile?.directory ?? {}),
    department: user.department,
    jobTitle: user.jobTitle,
    accountType: 'member',
    userPrincipalName: user.primaryEmail,
    identity: { provider: 'google', tenantId: context.domain, objectId: user.id },
    orgUnitPath: user.orgUnitPath,
  };
  await tx.aupProfiles.save({
    schoolId,
    personId: person.id,
    directory,
    audienceOverride: profile?.audienceOverride ?? null,
    startDate: profile?.startDate ?? null,
    lineManagerId: profile?.lineManagerId ?? null,
    source: profile?.source ?? 'directory',
    updatedAt: now,
  });
  // Only an account created since DSL Desk connected is new; those already there are reached by campaigns.
  const createdSinceBaseline = user.creationTime !== null && Date.parse(user.creationTime) >= Date.parse(context.baselineAt);
  if (created && createdSinceBaseline && settings.newStartersFromDirectory) {
    await welcomeNewStarterInTransaction(deps, tx, { schoolId, personId: person.id, actorId: null });
    return 'newStarters';
  }
  return 'updated';
}

/** The school's Google admin as the operator set it, with where reading got to (for `school google` and status). */
export function describeGoogleDirectory(state: GoogleDirectoryState | undefined): string {
  if (!state) return 'No Google admin is set: new starters are not read from Google Workspace.';
  const units = state.staffOrgUnits.length ? state.staffOrgUnits.join(', ') : 'every org unit except those naming pupils or students';
  const last = state.lastRunAt ? `last read ${state.lastRunAt}${state.lastError ? ` — failed: ${state.lastError}` : ''}` : 'not read yet';
  return `Google admin ${state.adminEmail}; staff org units: ${units}; ${last}.`;
}
