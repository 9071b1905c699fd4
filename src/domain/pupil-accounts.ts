import { z } from 'zod';
import { isValidUpn } from './pupil.ts';
import { textField } from './text.ts';

/**
 * How a school's pupil accounts in Microsoft 365 or Google are named, so a directory sync can link an account to
 * its pupil (and never take a pupil's account for a new member of staff). One rule, the one most schools use:
 * the account's address is made from the UPN, e.g. `{upn}@pupils.school.example`. Matching is by the UPN alone:
 * a name is never used to guess (two children can share one).
 */
export const pupilAccountRuleSchema = z.strictObject({
  emailTemplate: textField()
    .trim()
    .toLowerCase()
    .max(200)
    .refine((template) => /^[^@\s]*\{upn\}[^@\s]*@[a-z0-9.-]+\.[a-z]{2,}$/.test(template), 'Give the pupils’ address with {upn} where the UPN goes, e.g. {upn}@pupils.school.example.'),
});
export type PupilAccountRule = z.infer<typeof pupilAccountRuleSchema>;

/** The UPN an account's address names under the school's rule, when it names a valid one. */
export function upnForAccount(rule: PupilAccountRule, address: string | null | undefined): string | undefined {
  if (!address) return undefined;
  const [before, after] = rule.emailTemplate.split('{upn}') as [string, string];
  // A UPN is always 13 characters: the address is the template's two ends around exactly that many.
  const candidate = address.trim().toLowerCase();
  if (candidate.length !== before.length + 13 + after.length || !candidate.startsWith(before) || !candidate.endsWith(after)) return undefined;
  const upn = candidate.slice(before.length, before.length + 13).toUpperCase();
  return isValidUpn(upn) ? upn : undefined;
}
