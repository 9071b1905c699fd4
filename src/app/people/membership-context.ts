import type { MembershipOverride, MembershipRule } from '../../domain/organisation.ts';
import type { StorageTx } from '../../domain/ports.ts';

/** What membershipOf needs to place an account among an organisation's schools. */
export async function membershipContextFor(reader: StorageTx, organisationId: string): Promise<{ schoolIds: string[]; rules: MembershipRule[]; overrides: MembershipOverride[] }> {
  const schools = await reader.schools.listByOrganisation(organisationId);
  return { schoolIds: schools.map((s) => s.id), rules: await reader.organisations.listRules(organisationId), overrides: await reader.organisations.listOverrides(organisationId) };
}
