import { AppError } from '../../domain/errors.ts';
import type { SignedInIdentity } from '../../domain/identity.ts';
import type { PersonWithRoles, School, StorageTx } from '../../domain/ports.ts';
import { membershipOf, type Organisation } from '../../domain/organisation.ts';
import type { Actor } from '../../domain/roles.ts';
import { nowIso, type AppDeps } from '../deps.ts';
import { membershipContextFor } from './membership-context.ts';

/**
 * Maps a verified identity to a person of a school. The tenant (or Workspace domain) picks the organisation
 * — a school on its own, or a trust whose schools share it; the subject (or, the first time, the directory
 * email) picks the person in each of its schools. Anyone the organisation's directory vouches for may report
 * a concern, so an unknown member is added as staff of the schools the trust's membership rules give them
 * (in a school on its own, that school) rather than turned away. Someone in two schools gets an actor for
 * the first, with every membership listed (see actorForSchool).
 */
export async function resolveActor(deps: AppDeps, identity: SignedInIdentity): Promise<Actor> {
  // Almost every request is a known, linked person: find them without a write transaction.
  const known = await findKnown(deps, identity);
  if (known) return known;
  try {
    return await linkOrCreate(deps, identity);
  } catch (error) {
    // Several first requests of one person at once (a double tap, an add-in loading two panes) race to link
    // or create them; on PostgreSQL the loser may read the winner's link half-way. Whoever lost finds the
    // person the winner committed; anything else is the real answer.
    const linkedMeanwhile = await findKnown(deps, identity).catch(() => undefined);
    if (linkedMeanwhile) return linkedMeanwhile;
    throw error;
  }
}

interface Found {
  school: School;
  person: PersonWithRoles;
}

async function findKnown(deps: AppDeps, identity: SignedInIdentity): Promise<Actor | undefined> {
  const found = await deps.storage.read(async (reader) => {
    const { schools } = await findSchools(reader, identity);
    const known: Found[] = [];
    for (const school of schools) {
      const person = await findPerson(reader.people, school, identity);
      if (person && person.active && isLinked(person, identity)) known.push({ school, person });
    }
    return known;
  });
  return found.length > 0 ? actorOf(found) : undefined;
}

async function linkOrCreate(deps: AppDeps, identity: SignedInIdentity): Promise<Actor> {
  return deps.storage.transaction(async (tx) => {
    const { organisation, schools } = await findSchools(tx, identity);
    if (!organisation || schools.length === 0) {
      throw new AppError('forbidden', 'Your organisation is not set up in DSL Desk. Ask your school to contact its DSL Desk administrator.', {
        internal: `no school for ${identity.provider} tenant`,
      });
    }
    const now = nowIso(deps);
    const found: Found[] = [];
    let switchedOff = false;
    for (const school of schools) {
      let person = await findPerson(tx.people, school, identity);
      if (person && !person.active) {
        switchedOff = true;
        continue;
      }
      if (person && identity.provider === 'entra' && !person.entraObjectId) {
        person = { ...person, entraObjectId: identity.subject, updatedAt: now };
        await tx.people.update(person);
        await tx.audit.append({ schoolId: school.id, actorId: person.id, action: 'person.updated', detail: { linked: 'entra' } }, now);
      } else if (person && identity.provider === 'google' && !person.googleSubject) {
        person = { ...person, googleSubject: identity.subject, updatedAt: now };
        await tx.people.update(person);
        await tx.audit.append({ schoolId: school.id, actorId: person.id, action: 'person.updated', detail: { linked: 'google' } }, now);
      }
      if (person) found.push({ school, person });
    }
    if (found.length > 0) return actorOf(found);
    if (switchedOff) throw new AppError('forbidden', 'Your DSL Desk account has been switched off. Ask your school office.');
    if (identity.provider === 'sandbox' || !identity.email) {
      throw new AppError('forbidden', 'Your account is not set up in DSL Desk for this school. Ask your DSL Desk administrator.');
    }
    refuseUnvouched(identity, schools[0]!);
    const email = identity.email;
    const membership = membershipOf({ email }, await membershipContextFor(tx, organisation.id));
    if (membership.schoolIds.length === 0) throw notInAnySchool(organisation);
    for (const schoolId of membership.schoolIds) {
      const school = schools.find((s) => s.id === schoolId)!;
      if (await tx.people.findByEmail(school.id, email)) {
        throw new AppError('forbidden', 'Your email address is linked to a different account in DSL Desk. Ask your DSL Desk administrator to check it.', {
          internal: 'email already linked to another directory account',
        });
      }
      const created: PersonWithRoles = {
        id: deps.ids.newId(),
        schoolId: school.id,
        displayName: identity.displayName ?? email,
        email,
        entraObjectId: identity.provider === 'entra' ? identity.subject : null,
        googleSubject: identity.provider === 'google' ? identity.subject : null,
        active: true,
        createdAt: now,
        updatedAt: now,
        roles: ['staff'],
      };
      await tx.people.insert(created);
      await tx.people.grantRole(school.id, created.id, 'staff', now);
      await tx.audit.append({ schoolId: school.id, actorId: created.id, action: 'person.created', detail: { via: identity.provider, membership: membership.reason } }, now);
      found.push({ school, person: created });
    }
    return actorOf(found);
  });
}

/** Refused: the trust's rules put this account in none of its schools. Says who can fix it. */
export function notInAnySchool(organisation: Organisation): AppError {
  const who = organisation.kind === 'school' ? 'your school office' : `${organisation.name}’s DSL Desk administrator (or your school office)`;
  return new AppError('forbidden', `DSL Desk does not know which of ${organisation.name}’s schools you belong to, so it cannot add you by itself. Ask ${who} to add you to your school.`, {
    internal: 'membership rules matched no school',
  });
}

function actorOf(found: Found[]): Actor {
  const sorted = [...found].sort((a, b) => a.school.name.localeCompare(b.school.name) || a.school.id.localeCompare(b.school.id));
  const first = sorted[0]!;
  const actor: Actor = { schoolId: first.school.id, personId: first.person.id, displayName: first.person.displayName, roles: first.person.roles };
  if (sorted.length < 2) return actor;
  return {
    ...actor,
    memberships: sorted.map(({ school, person }) => ({ schoolId: school.id, schoolSlug: school.slug, schoolName: school.name, personId: person.id, displayName: person.displayName, roles: person.roles })),
  };
}

function isLinked(person: PersonWithRoles, identity: SignedInIdentity): boolean {
  if (identity.provider === 'entra') return person.entraObjectId !== null;
  if (identity.provider === 'google') return person.googleSubject !== null;
  return true;
}

/** The organisation that owns the identity's tenant or domain, and its schools (the sandbox: one school by slug). */
async function findSchools(reader: StorageTx, identity: SignedInIdentity): Promise<{ organisation?: Organisation; schools: School[] }> {
  if (identity.provider === 'sandbox') {
    const school = await reader.schools.getBySlug(identity.tenantId);
    const organisation = school ? await reader.organisations.get(school.organisationId) : undefined;
    return school ? { ...(organisation ? { organisation } : {}), schools: [school] } : { schools: [] };
  }
  const organisation = await reader.organisations.findByDirectory(identity.provider, identity.tenantId);
  if (!organisation) return { schools: [] };
  return { organisation, schools: await reader.schools.listByOrganisation(organisation.id) };
}

async function findPerson(people: StorageTx['people'], school: School, identity: SignedInIdentity): Promise<PersonWithRoles | undefined> {
  const schoolId = school.id;
  if (identity.provider === 'sandbox') return people.findByEmail(schoolId, identity.subject);
  const bySubject =
    identity.provider === 'entra' ? await people.findByEntraObjectId(schoolId, identity.subject) : await people.findByGoogleSubject(schoolId, identity.subject);
  if (bySubject) return bySubject;
  if (!identity.email || unvouchedReason(identity, school)) return undefined;
  // Email links a directory account to an imported person only once: a person already linked to another
  // account is never taken over by a second account that happens to carry the same address.
  const byEmail = await people.findByEmail(schoolId, identity.email);
  const linked = identity.provider === 'entra' ? byEmail?.entraObjectId : byEmail?.googleSubject;
  return byEmail && !linked ? byEmail : undefined;
}

/**
 * Why the school's own directory does not vouch for this account's email, or undefined when it does. Only
 * then may the account become staff by itself or take over an imported person by email. A B2B guest
 * belongs to another organisation; a Google address must be verified by Google and in the school's domain
 * (`hd` only proves the account is managed by the school's Workspace, not which address it claims).
 */
function unvouchedReason(identity: SignedInIdentity, school: School): 'guest' | 'email' | undefined {
  if (identity.provider === 'sandbox') return undefined;
  if (identity.guest) return 'guest';
  if (!identity.email || identity.emailVerified !== true) return 'email';
  if (identity.provider === 'google') {
    const domain = identity.email.slice(identity.email.lastIndexOf('@') + 1);
    const schoolDomain = school.googleDomain?.toLowerCase();
    if (!schoolDomain || (domain !== schoolDomain && !domain.endsWith(`.${schoolDomain}`))) return 'email';
  }
  return undefined;
}

function refuseUnvouched(identity: SignedInIdentity, school: School): void {
  const reason = unvouchedReason(identity, school);
  if (reason === 'guest') {
    throw new AppError('forbidden', 'You are signed in as a guest of this school’s Microsoft 365, so DSL Desk does not add you by itself. Ask the school’s DSL Desk administrator to add you.', {
      internal: 'B2B guest not created as staff',
    });
  }
  if (reason === 'email') {
    throw new AppError('forbidden', 'DSL Desk could not confirm your school email address (it must be verified and in the school’s own domain), so it cannot add you by itself. Ask the school’s DSL Desk administrator to add you.', {
      internal: `${identity.provider} email not verified or outside the school's domain`,
    });
  }
}
