import * as rules from '../../domain/case.ts';
import { removedEvidenceDetail } from '../../domain/email-report.ts';
import { forbidsKeepingImages, type IncidentTypeCode } from '../../domain/incident-types.ts';
import type { Actor } from '../../domain/roles.ts';
import { changeCase } from './change-case.ts';
import type { AppDeps } from '../deps.ts';

/**
 * A DSL changes what a case is about, with a reason. When the new types' protocol forbids keeping images
 * (nudes, child-abuse images), every reported message still stored with the case is removed in the same
 * transaction, attachments and all, and each removal is audited with the fingerprints of what went.
 */
export function changeCaseTypes(deps: AppDeps, options: { actor: Actor; caseId: string; types: IncidentTypeCode[]; reason: string }): Promise<rules.Case> {
  const { actor, caseId } = options;
  return changeCase(
    deps,
    options,
    (current, now) => rules.changeCaseTypes(current, actor, { types: options.types, reason: options.reason }, now),
    async (tx, next, now) => {
      if (!forbidsKeepingImages(next.types)) return;
      for (const email of await tx.emails.listForCase(actor.schoolId, caseId)) {
        if (!email.contentKept) continue;
        if (!(await tx.emails.purgeContent(actor.schoolId, email.id, { withhold: true }))) continue;
        await tx.audit.append(
          { schoolId: actor.schoolId, actorId: actor.personId, action: 'case.email_purged', caseId, detail: { ...removedEvidenceDetail(email), reason: 'types_forbid_images', types: next.types.join(',') } },
          now,
        );
      }
    },
  );
}
