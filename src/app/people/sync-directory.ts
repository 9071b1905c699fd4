import { classifyDirectoryUser, mergeDirectoryUser, type DirectoryReader, type DirectoryUser, type DirectoryUserChange } from '../../domain/directory.ts';
import type { AupProfile, AupSettings } from '../../domain/aup-delivery.ts';
import { AppError, isAppError } from '../../domain/errors.ts';
import type { PersonWithRoles, StorageTx } from '../../domain/ports.ts';
import { aupSettingsFor } from '../aup/aup-context.ts';
import { upsertPerson } from './add-person.ts';
import { nowIso, OPERATOR, type AppDeps } from '../deps.ts';
import { welcomeNewStarterInTransaction } from '../aup/welcome-new-starter.ts';
import { membershipContextFor } from './membership-context.ts';
import { membershipOf, type DirectoryFacts } from '../../domain/organisation.ts';
import { linkPupilAccount } from '../pupils/link-pupil-account.ts';

type MembershipContext = Awaited<ReturnType<typeof membershipContextFor>>;

export interface DirectorySyncResult {
  pages: number;
  seen: number;
  newStarters: number;
  updated: number;
  left: number;
  ignored: number;
  baseline: boolean;
  resynced: boolean;
  /** Accounts the school's pupil account rule says are pupils' (linked to their pupil when one has that UPN). */
  pupilAccounts: number;
}

/** What DSL Desk keeps of a directory account, so a later delta (which carries only what changed) can be merged. */
type StoredDirectory = AupProfile['directory'] & { graph?: Omit<DirectoryUser, 'objectId' | 'removed'> };

/**
 * Reads what changed in the school's Microsoft 365 directory since the last delta link and applies it:
 * new enabled member accounts become people of the school and, after the first full read (the baseline:
 * those already there are not new), are sent their policy; leavers are made inactive; guests, disabled
 * and service accounts are ignored by rule. Each page is applied in its own transaction and the delta
 * link is saved at the end, so a restart re-reads at most the pages since the last saved link — and
 * applying a page twice changes nothing.
 */
export async function syncDirectory(deps: AppDeps, options: { schoolId: string; reader: DirectoryReader }): Promise<DirectorySyncResult> {
  const { schoolId } = options;
  const { school, state, settings, membership, pupilAccountRule } = await deps.storage.read(async (reader) => {
    const found = await reader.schools.get(schoolId);
    return {
      school: found,
      state: await reader.directorySync.get(schoolId, 'entra'),
      settings: await aupSettingsFor(reader, schoolId),
      membership: found ? await membershipContextFor(reader, found.organisationId) : undefined,
      pupilAccountRule: await reader.pupils.getAccountRule(schoolId),
    };
  });
  if (!school || !membership) throw new AppError('not_found', 'That school was not found.');
  if (!school.entraTenantId) throw new AppError('invalid_input', 'This school is not connected to a Microsoft 365 tenant, so there is no directory to read.');
  const baseline = !state?.baselineDone;
  const result: DirectorySyncResult = { pages: 0, seen: 0, newStarters: 0, updated: 0, left: 0, ignored: 0, baseline, resynced: false, pupilAccounts: 0 };
  try {
    const read = await options.reader.readChanges(school.entraTenantId, state?.deltaLink ?? undefined, async (page) => {
      await deps.storage.transaction(async (tx) => {
        for (const change of page.users) {
          // A pupil's account (by the school's rule) is linked to the pupil, never taken for a member of staff.
          if (pupilAccountRule && !change.removed) {
            const address = change.mail ?? change.userPrincipalName;
            const pupil = await linkPupilAccount(tx, { schoolId, rule: pupilAccountRule, accountId: change.objectId.toLowerCase(), address, now: nowIso(deps) });
            if (pupil.pupilAccount) {
              result.seen += 1;
              result.ignored += 1;
              result.pupilAccounts += 1;
              continue;
            }
          }
          const outcome = await applyChange(deps, tx, { schoolId, change, settings, baseline, membership });
          result.seen += 1;
          result[outcome] += 1;
        }
      });
      result.pages += 1;
    });
    result.resynced = read.resynced;
    await deps.storage.transaction(async (tx) => {
      const now = nowIso(deps);
      await tx.directorySync.save({ schoolId, provider: 'entra', deltaLink: read.deltaLink, baselineDone: true, lastRunAt: now, lastError: null });
      await tx.audit.append(
        { schoolId, actorId: null, action: 'directory.synced', detail: { baseline, resynced: read.resynced, seen: result.seen, newStarters: result.newStarters, left: result.left, ignored: result.ignored } },
        now,
      );
    });
    return result;
  } catch (error) {
    const message = isAppError(error) ? error.userMessage : 'Reading the directory failed; it will be tried again.';
    await deps.storage.transaction((tx) =>
      tx.directorySync.save({ schoolId, provider: 'entra', deltaLink: state?.deltaLink ?? null, baselineDone: state?.baselineDone ?? false, lastRunAt: nowIso(deps), lastError: message }),
    );
    throw error;
  }
}

type Outcome = 'newStarters' | 'updated' | 'left' | 'ignored';

async function applyChange(
  deps: AppDeps,
  tx: StorageTx,
  options: { schoolId: string; change: DirectoryUserChange; settings: AupSettings; baseline: boolean; membership: MembershipContext },
): Promise<Outcome> {
  const { schoolId, change, settings } = options;
  let person = await tx.people.findByEntraObjectId(schoolId, change.objectId.toLowerCase());
  const profile = person ? await tx.aupProfiles.get(schoolId, person.id) : undefined;
  const merged = mergeDirectoryUser(person ? storedUser(person, profile) : undefined, change);
  const verdict = classifyDirectoryUser(merged, { serviceAccountPatterns: settings.serviceAccountPatterns });
  const now = nowIso(deps);
  if (verdict.kind === 'ignored') {
    if (person?.active && (verdict.reason === 'removed' || verdict.reason === 'disabled')) {
      await tx.people.update({ ...person, active: false, updatedAt: now });
      await tx.audit.append({ schoolId, actorId: null, action: 'person.updated', detail: { personId: person.id, active: false, reason: `directory_${verdict.reason}` } }, now);
      return 'left';
    }
    return 'ignored';
  }
  const email = (merged.mail ?? merged.userPrincipalName ?? '').trim().toLowerCase();
  // A trust's tenant holds every school's staff: the trust's membership rules say whose this account is.
  // Someone the rules move to another school has left this one (their records here stay, inactive).
  if (!membershipOf(directoryFactsOf(merged, email), options.membership).schoolIds.includes(schoolId)) {
    if (person?.active) {
      await tx.people.update({ ...person, active: false, updatedAt: now });
      await tx.audit.append({ schoolId, actorId: null, action: 'person.updated', detail: { personId: person.id, active: false, reason: 'directory_other_school' } }, now);
      return 'left';
    }
    return 'ignored';
  }
  let created = false;
  if (!person) {
    // Someone the office already added (by CSV or as a new starter) is linked, not created twice.
    const byEmail = email ? await tx.people.findByEmail(schoolId, email) : undefined;
    if (byEmail && !byEmail.entraObjectId) {
      person = { ...byEmail, entraObjectId: change.objectId.toLowerCase(), updatedAt: now };
      await tx.people.update(person);
    } else if (!byEmail) {
      const upserted = await upsertPerson(deps, tx, {
        actor: OPERATOR,
        schoolId,
        person: { displayName: merged.displayName ?? email, email, roles: ['staff'], entraObjectId: change.objectId },
      });
      person = upserted.person;
      created = upserted.created;
    } else {
      return 'ignored';
    }
  } else if (!person.active || (merged.displayName && merged.displayName !== person.displayName)) {
    person = { ...person, active: true, displayName: merged.displayName ?? person.displayName, updatedAt: now };
    await tx.people.update(person);
  }
  const manager = merged.managerObjectId ? await tx.people.findByEntraObjectId(schoolId, merged.managerObjectId.toLowerCase()) : undefined;
  const { objectId: _id, removed: _removed, ...graph } = merged;
  const directory: StoredDirectory = {
    ...(profile?.directory ?? {}),
    department: merged.department,
    jobTitle: merged.jobTitle,
    accountType: merged.userType === 'Guest' ? 'guest' : 'member',
    userPrincipalName: merged.userPrincipalName,
    managerObjectId: merged.managerObjectId,
    graph,
  };
  const hireDate = merged.employeeHireDate && merged.employeeHireDate >= now.slice(0, 10) ? merged.employeeHireDate : null;
  await tx.aupProfiles.save({
    schoolId,
    personId: person.id,
    directory,
    audienceOverride: profile?.audienceOverride ?? null,
    // The office's own start date wins over the directory's hire date.
    startDate: profile?.source === 'office' && profile.startDate ? profile.startDate : (hireDate ?? profile?.startDate ?? null),
    lineManagerId: manager?.id ?? profile?.lineManagerId ?? null,
    source: profile?.source ?? 'directory',
    updatedAt: now,
  });
  if (created && !options.baseline && settings.newStartersFromDirectory) {
    await welcomeNewStarterInTransaction(deps, tx, { schoolId, personId: person.id, actorId: null });
    return 'newStarters';
  }
  return 'updated';
}

/** What the trust's membership rules may test, from a directory account. Groups are not read from Graph's delta. */
export function directoryFactsOf(user: DirectoryUser, email: string): DirectoryFacts {
  return {
    email: email || (user.userPrincipalName ?? ''),
    company: user.companyName ?? null,
    department: user.department,
    office: user.officeLocation ?? null,
    extensionAttributes: user.extensionAttributes ?? {},
  };
}

/** The account as last seen, rebuilt from what was stored, for merging a partial change onto. */
function storedUser(person: PersonWithRoles, profile: AupProfile | undefined): DirectoryUser {
  const stored = (profile?.directory ?? {}) as StoredDirectory;
  return {
    objectId: person.entraObjectId ?? '',
    removed: false,
    userPrincipalName: stored.userPrincipalName ?? person.email,
    displayName: person.displayName,
    mail: person.email,
    department: null,
    jobTitle: null,
    accountEnabled: person.active,
    userType: 'Member',
    employeeHireDate: null,
    managerObjectId: null,
    licenceCount: null,
    ...(stored.graph ?? {}),
  };
}
