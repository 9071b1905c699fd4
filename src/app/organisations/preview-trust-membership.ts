import { membershipOf, type DirectoryFacts, type MembershipReason } from '../../domain/organisation.ts';
import type { Actor } from '../../domain/roles.ts';
import type { AppDeps, OPERATOR } from '../deps.ts';
import { membershipContextFor } from '../people/membership-context.ts';
import { trustFor } from './trust-access.ts';

export interface MembershipPreviewRow {
  email: string;
  schools: string[];
  reason: MembershipReason;
}

/**
 * The dry run: which school each directory account would land in under the trust's current rules and
 * overrides. Changes nothing. People in no school are listed too: they are the ones sign-in would refuse.
 */
export async function previewTrustMembership(deps: AppDeps, options: { actor: Actor | typeof OPERATOR; trust: string; people: DirectoryFacts[] }): Promise<{ rows: MembershipPreviewRow[]; bySchool: Record<string, number>; inNoSchool: number }> {
  return deps.storage.read(async (reader) => {
    const { organisation } = await trustFor(reader, options.actor, options.trust, 'trust_admin');
    const context = await membershipContextFor(reader, organisation.id);
    const slugs = new Map((await reader.schools.listByOrganisation(organisation.id)).map((s) => [s.id, s.slug]));
    const bySchool: Record<string, number> = Object.fromEntries([...slugs.values()].map((slug) => [slug, 0]));
    let inNoSchool = 0;
    const rows = options.people.map((facts) => {
      const membership = membershipOf(facts, context);
      const schools = membership.schoolIds.map((id) => slugs.get(id) ?? id);
      for (const slug of schools) bySchool[slug] = (bySchool[slug] ?? 0) + 1;
      if (schools.length === 0) inNoSchool += 1;
      return { email: facts.email.trim().toLowerCase(), schools, reason: membership.reason };
    });
    return { rows, bySchool, inNoSchool };
  });
}
