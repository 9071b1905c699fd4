import { AppError } from '../domain/errors.ts';
import type { SignedInIdentity } from '../domain/identity.ts';
import type { PersonWithRoles, School, StorageTx } from '../domain/ports.ts';
import type { Actor } from '../domain/roles.ts';
import { nowIso, type AppDeps } from './deps.ts';

/**
 * Maps a verified identity to a person of a school. The tenant picks the school; the subject (or, the
 * first time, the directory email) picks the person. Anyone the school's own directory vouches for may
 * report a concern, so an unknown member of a known tenant is added as staff rather than turned away.
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

async function findKnown(deps: AppDeps, identity: SignedInIdentity): Promise<Actor | undefined> {
  const known = await deps.storage.read(async (reader) => {
    const school = await findSchool(reader.schools, identity);
    const person = school ? await findPerson(reader.people, school, identity) : undefined;
    return person && person.active && isLinked(person, identity) ? person : undefined;
  });
  return known ? { schoolId: known.schoolId, personId: known.id, displayName: known.displayName, roles: known.roles } : undefined;
}

async function linkOrCreate(deps: AppDeps, identity: SignedInIdentity): Promise<Actor> {
  return deps.storage.transaction(async (tx) => {
    const school = await findSchool(tx.schools, identity);
    if (!school) {
      throw new AppError('forbidden', 'Your organisation is not set up in DSL Desk. Ask your school to contact its DSL Desk administrator.', {
        internal: `no school for ${identity.provider} tenant`,
      });
    }
    let person = await findPerson(tx.people, school, identity);
    const now = nowIso(deps);
    if (person && !person.active) throw new AppError('forbidden', 'Your DSL Desk account has been switched off. Ask your school office.');
    if (person && identity.provider === 'entra' && !person.entraObjectId) {
      person = { ...person, entraObjectId: identity.subject, updatedAt: now };
      await tx.people.update(person);
      await tx.audit.append({ schoolId: school.id, actorId: person.id, action: 'person.updated', detail: { linked: 'entra' } }, now);
    } else if (person && identity.provider === 'google' && !person.googleSubject) {
      person = { ...person, googleSubject: identity.subject, updatedAt: now };
      await tx.people.update(person);
      await tx.audit.append({ schoolId: school.id, actorId: person.id, action: 'person.updated', detail: { linked: 'google' } }, now);
    }
    if (!person) {
      if (identity.provider === 'sandbox' || !identity.email) {
        throw new AppError('forbidden', 'Your account is not set up in DSL Desk for this school. Ask your DSL Desk administrator.');
      }
      refuseUnvouched(identity, school);
      if (await tx.people.findByEmail(school.id, identity.email)) {
        throw new AppError('forbidden', 'Your email address is linked to a different account in DSL Desk. Ask your DSL Desk administrator to check it.', {
          internal: 'email already linked to another directory account',
        });
      }
      const created: PersonWithRoles = {
        id: deps.ids.newId(),
        schoolId: school.id,
        displayName: identity.displayName ?? identity.email,
        email: identity.email,
        entraObjectId: identity.provider === 'entra' ? identity.subject : null,
        googleSubject: identity.provider === 'google' ? identity.subject : null,
        active: true,
        createdAt: now,
        updatedAt: now,
        roles: ['staff'],
      };
      await tx.people.insert(created);
      await tx.people.grantRole(school.id, created.id, 'staff', now);
      await tx.audit.append({ schoolId: school.id, actorId: created.id, action: 'person.created', detail: { via: identity.provider } }, now);
      person = created;
    }
    return { schoolId: school.id, personId: person.id, displayName: person.displayName, roles: person.roles };
  });
}

function isLinked(person: PersonWithRoles, identity: SignedInIdentity): boolean {
  if (identity.provider === 'entra') return person.entraObjectId !== null;
  if (identity.provider === 'google') return person.googleSubject !== null;
  return true;
}

async function findSchool(schools: StorageTx['schools'], identity: SignedInIdentity): Promise<School | undefined> {
  switch (identity.provider) {
    case 'entra':
      return schools.findByEntraTenant(identity.tenantId);
    case 'google':
      return schools.findByGoogleDomain(identity.tenantId);
    case 'sandbox':
      return schools.getBySlug(identity.tenantId);
  }
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
