import { upnForAccount, type PupilAccountRule } from '../../domain/pupil-accounts.ts';
import type { StorageTx } from '../../domain/ports.ts';

/**
 * A directory account the school's rule says is a pupil's: linked to that pupil (audited when the link is new or
 * changed). Returns whether the account is a pupil's, matched or not, so the caller never takes it for a member of
 * staff. An address the rule names with a UPN that no pupil has is still a pupil account (not yet imported).
 */
export async function linkPupilAccount(
  tx: StorageTx,
  options: { schoolId: string; rule: PupilAccountRule; accountId: string; address: string | null | undefined; now: string },
): Promise<{ pupilAccount: boolean; linked: boolean }> {
  const upn = upnForAccount(options.rule, options.address);
  if (!upn) return { pupilAccount: false, linked: false };
  const pupil = await tx.pupils.findByUpn(options.schoolId, upn);
  if (!pupil || pupil.directoryAccount === options.accountId) return { pupilAccount: true, linked: false };
  await tx.pupils.setDirectoryAccount(options.schoolId, pupil.id, options.accountId, options.now);
  await tx.audit.append({ schoolId: options.schoolId, actorId: null, action: 'pupil.directory_linked', detail: { pupilId: pupil.id } }, options.now);
  return { pupilAccount: true, linked: true };
}
