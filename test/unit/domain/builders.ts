/** Builders shared by the domain unit tests: actors in each role, valid concerns, cases, and refusal checks. */
import { AppError, type ErrorCode } from '../../../src/domain/errors.ts';
import { concernSchema, type Concern, type ConcernInput } from '../../../src/domain/concern.ts';
import { openCase, type Case, type CaseChange, type Result } from '../../../src/domain/case.ts';
import type { Actor, Role } from '../../../src/domain/roles.ts';

export const SCHOOL = 'school-a';
export const OTHER_SCHOOL = 'school-b';

/** Minute offsets from a fixed start, so every step of a test has its own, ordered timestamp. */
export function at(minute: number): string {
  return new Date(Date.UTC(2026, 10, 23, 8, 0, 0) + minute * 60_000).toISOString();
}

export function actor(personId: string, roles: Role[], schoolId = SCHOOL): Actor {
  return { schoolId, personId, displayName: personId, roles };
}

/** One person per role, as seeded schools have them (everyone but the governor also holds `staff`). */
export const people = {
  staff: actor('p-staff', ['staff']),
  dsl: actor('p-dsl', ['staff', 'dsl']),
  dsl2: actor('p-dsl2', ['staff', 'dsl']),
  deputy: actor('p-deputy', ['staff', 'deputy_dsl']),
  head: actor('p-head', ['staff', 'head']),
  it: actor('p-it', ['staff', 'it']),
  governor: actor('p-governor', ['governor']),
  admin: actor('p-admin', ['staff', 'admin']),
  otherSchoolDsl: actor('p-other-dsl', ['staff', 'dsl'], OTHER_SCHOOL),
  otherSchoolHead: actor('p-other-head', ['staff', 'head'], OTHER_SCHOOL),
  otherSchoolIt: actor('p-other-it', ['staff', 'it'], OTHER_SCHOOL),
} as const;

/** A concern as the schema would hand it to the domain (defaults applied). */
export function concern(overrides: Partial<ConcernInput> = {}): Concern {
  return concernSchema.parse({
    types: ['online_bullying'],
    description: 'Messages sent in a class group chat.',
    involved: [
      { group: 'child', name: 'Child One', contact: 'Year 5' },
      { group: 'parent_carer', name: 'Parent One' },
    ],
    ...overrides,
  }) as Concern;
}

export function makeCase(concernOverrides: Partial<ConcernInput> = {}, caseOverrides: Partial<Case> = {}): Case {
  const opened = openCase({
    id: 'case-1',
    schoolId: SCHOOL,
    reference: 'CASE-2026-0001',
    concern: concern(concernOverrides),
    reporter: { personId: people.staff.personId, reportedAt: at(0), channel: 'teams' },
    now: at(0),
  });
  return { ...opened, ...caseOverrides };
}

/** A restricted allegation about `subjectPersonId`. */
export function allegationCase(subjectPersonId = 'p-subject'): Case {
  return makeCase({ types: ['staff_allegation'], subjectPersonId: uuidFor(subjectPersonId) }, { subjectPersonId });
}

/** The schema wants a uuid; the domain only compares ids, so tests use readable ids and swap them in after parsing. */
function uuidFor(_id: string): string {
  return '0b6f3c1e-3f4a-4d5b-9c7e-2a1b3c4d5e6f';
}

/** Unwraps a successful transition, failing the test with the error code otherwise. */
export function applied(result: Result<CaseChange>): CaseChange {
  if (!result.ok) throw new Error(`expected the transition to succeed, got ${result.error.code}: ${result.error.userMessage}`);
  return result.value;
}

/**
 * Runs a transition that must be refused: it returns {ok:false} with the given code, and the case passed in is
 * left exactly as it was.
 */
export function refused(current: Case, run: (c: Case) => Result<CaseChange>, code: ErrorCode): AppError {
  const before = structuredClone(current);
  const result = run(current);
  expect(result.ok).toBe(false);
  if (result.ok) throw new Error('unreachable');
  expect(result).not.toHaveProperty('value');
  expect(result.error).toBeInstanceOf(AppError);
  expect(result.error.code).toBe(code);
  expect(current).toEqual(before);
  return result.error;
}
