import type { AupSigningLink } from '../../domain/aup-delivery.ts';
import { forbidden } from '../../domain/errors.ts';
import { hasAnyRole, type Actor } from '../../domain/roles.ts';
import { AUP_MANAGER_ROLES } from './aup-context.ts';
import type { AppDeps } from '../deps.ts';

export type SigningLinkStatus = 'open' | 'used' | 'expired';

export interface SigningLinkSummary extends AupSigningLink {
  status: SigningLinkStatus;
}

/** Where a link stands at `now`: a used link stays used after it would have expired. */
export function signingLinkStatus(link: Pick<AupSigningLink, 'usedAt' | 'expiresAt'>, now: Date): SigningLinkStatus {
  if (link.usedAt) return 'used';
  return Date.parse(link.expiresAt) <= now.getTime() ? 'expired' : 'open';
}

/** The school's signing links, newest first, for the office: no tokens (only their hashes are stored). */
export async function listSigningLinks(deps: AppDeps, options: { actor: Actor }): Promise<SigningLinkSummary[]> {
  const { actor } = options;
  if (!hasAnyRole(actor, AUP_MANAGER_ROLES)) throw forbidden('Only the school’s admins, the headteacher and the DSL can see its signing links.');
  const links = await deps.storage.read((reader) => reader.aupSigningLinks.list(actor.schoolId));
  const now = deps.clock.now();
  return links.map((link) => ({ ...link, status: signingLinkStatus(link, now) }));
}
