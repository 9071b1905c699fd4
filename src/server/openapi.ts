import { z } from 'zod';
import { createDocument } from 'zod-openapi';
import {
  accessListSchema,
  accessQuerySchema,
  staffChoiceListSchema,
  staffSearchQuerySchema,
  trustFiguresSchema,
  trustParamsSchema,
  caseActionSchema,
  caseDetailSchema,
  caseListSchema,
  caseQuerySchema,
  errorSchema,
  meSchema,
  myReportSchema,
  personInputSchema,
  personSchema,
  pupilChoiceListSchema,
  pupilImportReportSchema,
  pupilParamsSchema,
  pupilSchema,
  pupilSearchQuerySchema,
  reportReceiptSchema,
  reportRequestSchema,
  roleParamsSchema,
  endProtectionStatusRequestSchema,
  linkCaseChildSchema,
  mergePupilsSchema,
  protectionStatusRequestSchema,
  pupilPatternRuleRequestSchema,
  unlinkCaseChildSchema,
} from './schemas.ts';
import { CONFIRMED_VERDICTS, EMAIL_REPORT_CHOICES } from '../domain/email-report.ts';
import { CASE_CHILD_ROLES } from '../domain/pupil.ts';
import { AUP_AUDIENCES, aupPolicyInputSchema, signatureInputSchema } from '../domain/aup.ts';
import { aupSettingsSchema, signingLinkInputSchema } from '../domain/aup-delivery.ts';
import { newStarterInputSchema } from '../app/aup/welcome-new-starter.ts';
import { aupProfileInputSchema } from '../app/aup/manage-aup-settings.ts';

const json = (schema: z.ZodType) => ({ content: { 'application/json': { schema } } });
const errors = {
  '400': { description: 'The request has problems; `fields` says what to fix.', ...json(errorSchema) },
  '401': { description: 'Not signed in, or the token was refused.', ...json(errorSchema) },
  '404': { description: 'Not found, or not yours to see.', ...json(errorSchema) },
  '429': { description: 'Too many requests; retry after the Retry-After header.', ...json(errorSchema) },
};
const emailParams = z.strictObject({ caseId: z.string(), emailId: z.string() });
const emailReceiptSchema = z.object({ caseId: z.string(), reference: z.string(), receivedAt: z.string(), joinedExisting: z.boolean(), duplicate: z.boolean() });
const createdSigningLinkSchema = z.object({
  id: z.string(),
  audience: z.enum(AUP_AUDIENCES),
  intendedFor: z.string(),
  email: z.string().nullable(),
  url: z.string().meta({ description: 'The one-time link to hand over. Only its hash is stored: this answer is the only time it is shown.' }),
  expiresAt: z.string(),
  qrSvg: z.string().meta({ description: 'A QR code of the link (SVG), for reception.' }),
});
const signingLinkSchema = z.object({
  id: z.string(),
  audience: z.enum(AUP_AUDIENCES),
  intendedFor: z.string(),
  email: z.string().nullable(),
  personId: z.string().nullable(),
  createdById: z.string().nullable(),
  createdAt: z.string(),
  expiresAt: z.string(),
  usedAt: z.string().nullable(),
  acknowledgementId: z.string().nullable(),
  status: z.enum(['open', 'used', 'expired']),
});
const mySignatureSchema = z.object({
  policy: z.object({ id: z.string(), version: z.number().int(), title: z.string(), current: z.boolean().meta({ description: 'Still the version in force, so it can be signed.' }) }),
  signature: z.object({ id: z.string(), signedAt: z.string(), policyVersion: z.number().int(), cycle: z.string() }).nullable(),
});
const caseIdParam = z.strictObject({ caseId: z.string().meta({ description: 'The case id, or its reference such as CASE-2026-0042.' }) });

const pupilIdParam = z.strictObject({ pupilId: z.string() });
const childLinkSchema = z.object({
  child: z.object({ id: z.string(), caseId: z.string(), role: z.string(), pupilId: z.string().optional(), toLink: z.boolean(), linkedAt: z.string(), unlinkedAt: z.string().optional() }),
});
const protectionStatusSchema = z.object({
  id: z.string(),
  pupilId: z.string(),
  kind: z.string(),
  detail: z.string().optional(),
  from: z.string(),
  to: z.string().optional(),
  recordedBy: z.string(),
  recordedAt: z.string(),
  endedBy: z.string().optional(),
  endedAt: z.string().optional(),
});
const chronologySchema = z
  .object({
    pupil: z.object({ id: z.string(), name: z.string(), yearGroup: z.string().optional(), registrationGroup: z.string().optional() }),
    askedFor: z.string().optional().meta({ description: 'The record asked for, when it had been merged into this one.' }),
    mergedRecords: z.array(z.string()),
    cases: z.array(
      z.object({
        caseId: z.string(),
        reference: z.string(),
        reportedAt: z.string(),
        types: z.array(z.string()),
        urgency: z.string(),
        status: z.string(),
        restricted: z.boolean(),
        roles: z.array(z.string()),
        outcome: z.object({ summary: z.string(), by: z.string(), at: z.string() }).optional(),
        acted: z.array(z.object({ action: z.string(), by: z.string(), at: z.string() })),
        notes: z.array(z.object({ at: z.string(), by: z.string(), text: z.string() })),
      }),
    ),
    hiddenCases: z.number().int().meta({ description: 'Linked cases the reader may not open (restricted): counted, never shown.' }),
    protectionStatuses: z.array(protectionStatusSchema.extend({ label: z.string(), kindLabel: z.string() })),
  })
  .meta({ id: 'PupilChronology' });

/** The OpenAPI 3.1 document, generated from the same zod schemas that validate requests. */
export function buildOpenApiDocument(): ReturnType<typeof createDocument> {
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'DSL Desk API',
      version: '1.0.0',
      description: 'Staff report safeguarding and online-safety concerns; DSLs triage them. Every request needs an Entra ID or Google bearer token.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
    security: [{ bearer: [] }],
    paths: {
      '/api/v1/me': { get: { summary: 'Who am I, in which school, with which roles', responses: { '200': { description: 'The signed-in person.', ...json(meSchema) }, ...errors } } },
      '/api/v1/incident-types': { get: { summary: 'Incident types, protocols, agencies and actions, for forms', responses: { '200': { description: 'The lists.' }, ...errors } } },
      '/api/v1/reports': {
        post: {
          summary: 'Report a concern',
          requestParams: { header: z.object({ 'Idempotency-Key': z.string().optional().meta({ description: 'Repeats with the same key return the first receipt.' }) }) },
          requestBody: json(reportRequestSchema),
          responses: {
            '201': { description: 'The report was filed.', ...json(reportReceiptSchema) },
            '200': { description: 'A repeat of an earlier request: the first receipt.', ...json(reportReceiptSchema) },
            ...errors,
          },
        },
      },
      '/api/v1/reports/mine': {
        get: { summary: 'My reports, status only', responses: { '200': { description: 'My reports.', ...json(z.object({ reports: z.array(myReportSchema) })) }, ...errors } },
      },
      '/api/v1/cases': {
        get: { summary: 'List cases (DSL roles; IT sees email-security cases)', requestParams: { query: caseQuerySchema }, responses: { '200': { description: 'A page of cases.', ...json(caseListSchema) }, ...errors } },
      },
      '/api/v1/cases/{caseId}': {
        get: { summary: 'Open a case (recorded in the audit log)', requestParams: { path: caseIdParam }, responses: { '200': { description: 'The case.', ...json(caseDetailSchema) }, ...errors } },
      },
      '/api/v1/cases/{caseId}/actions': {
        post: {
          summary: 'Act on a case',
          requestParams: { path: caseIdParam },
          requestBody: json(caseActionSchema),
          responses: { '200': { description: 'The case after the action.', ...json(caseDetailSchema) }, '409': { description: 'Not allowed in the case’s current state.', ...json(errorSchema) }, ...errors },
        },
      },
      '/api/v1/cases/{caseId}/children': {
        post: {
          summary: 'Link a pupil to a case (a typed name flagged to link, with childId, or a child added now), with a reason; DSL, deputy, head',
          requestParams: { path: caseIdParam },
          requestBody: json(linkCaseChildSchema),
          responses: { '200': { description: 'The typed name is linked.', ...json(childLinkSchema) }, '201': { description: 'The child is added to the case.', ...json(childLinkSchema) }, '409': { description: 'Already linked.', ...json(errorSchema) }, ...errors },
        },
      },
      '/api/v1/cases/{caseId}/children/{childId}': {
        delete: {
          summary: 'Unlink a child from a case, with a reason (kept on record); DSL, deputy, head',
          requestParams: { path: caseIdParam.extend({ childId: z.string() }) },
          requestBody: json(unlinkCaseChildSchema),
          responses: { '200': { description: 'The child is unlinked.', ...json(childLinkSchema) }, '409': { description: 'Already unlinked.', ...json(errorSchema) }, ...errors },
        },
      },
      '/api/v1/pupils/{pupilId}/chronology': {
        get: {
          summary: 'The child’s chronology: every case about the pupil, oldest first, who acted, notes, protection statuses (recorded in the audit log); DSL, deputy, head',
          requestParams: { path: pupilIdParam },
          responses: { '200': { description: 'The chronology.', ...json(chronologySchema) }, ...errors },
        },
      },
      '/api/v1/pupils/{pupilId}/merge': {
        post: {
          summary: 'Merge another record of the same child into this one, with a reason: its links move here; DSL, deputy, head',
          requestParams: { path: pupilIdParam },
          requestBody: json(mergePupilsSchema),
          responses: { '200': { description: 'What moved.', ...json(z.object({ keptPupilId: z.string(), mergedPupilId: z.string(), moved: z.object({ links: z.number(), statuses: z.number(), alerts: z.number() }) })) }, '409': { description: 'Already merged.', ...json(errorSchema) }, ...errors },
        },
      },
      '/api/v1/pupils/{pupilId}/protection-statuses': {
        post: {
          summary: 'Record a child-protection status with its dates; DSL, deputy',
          requestParams: { path: pupilIdParam },
          requestBody: json(protectionStatusRequestSchema),
          responses: { '201': { description: 'The status.', ...json(z.object({ status: protectionStatusSchema })) }, ...errors },
        },
      },
      '/api/v1/pupils/{pupilId}/protection-statuses/{statusId}': {
        patch: {
          summary: 'End a protection status on a date; DSL, deputy',
          requestParams: { path: pupilIdParam.extend({ statusId: z.string() }) },
          requestBody: json(endProtectionStatusRequestSchema),
          responses: { '200': { description: 'The status.', ...json(z.object({ status: protectionStatusSchema })) }, ...errors },
        },
      },
      '/api/v1/pupil-patterns/{alertId}/acknowledge': {
        post: {
          summary: 'Acknowledge "a pattern for a pupil" (recorded in the audit log); DSL, deputy',
          requestParams: { path: z.strictObject({ alertId: z.string() }) },
          responses: {
            '200': { description: 'The pattern, acknowledged.', ...json(z.object({ alert: z.object({ id: z.string(), pupilId: z.string(), reason: z.enum(['count', 'type']), caseIds: z.array(z.string()), createdAt: z.string(), acknowledgedBy: z.string(), acknowledgedAt: z.string() }) })) },
            '409': { description: 'Already acknowledged.', ...json(errorSchema) },
            ...errors,
          },
        },
      },
      '/api/v1/pupil-pattern-rule': {
        get: { summary: 'The school’s rule for a pattern for a pupil; DSL, deputy, head', responses: { '200': { description: 'The rule.', ...json(z.object({ rule: pupilPatternRuleRequestSchema })) }, ...errors } },
        put: {
          summary: 'Set the school’s rule for a pattern for a pupil (recorded in the audit log); DSL, head',
          requestBody: json(pupilPatternRuleRequestSchema),
          responses: { '200': { description: 'The rule.', ...json(z.object({ rule: pupilPatternRuleRequestSchema })) }, ...errors },
        },
      },
      '/api/v1/email-reports': {
        post: {
          summary: 'Report an email (the whole message as message/rfc822)',
          requestParams: {
            query: z.object({
              choice: z.enum(EMAIL_REPORT_CHOICES).optional().meta({ description: 'What the reporter chose; phishing when absent.' }),
              subject: z.uuid().optional().meta({ description: 'The member of staff the email is about (an id from /api/v1/people/search): the case becomes a restricted allegation.' }),
            }),
            header: z.object({
              'X-Report-Note': z.string().optional().meta({ description: 'The reporter’s note, percent-encoded (at most 2,000 characters).' }),
              'X-Report-Children': z.string().optional().meta({ description: 'The children the email is about (safeguarding or inappropriate only): a JSON array of {"pupilId"} from /api/v1/pupils/search or {"name"} as typed, each with an optional role (subject, other_child, witness), percent-encoded.' }),
              'Idempotency-Key': z.string().optional().meta({ description: 'Repeats with the same key return the first receipt.' }),
            }),
          },
          requestBody: { content: { 'message/rfc822': { schema: z.string().meta({ format: 'binary', description: 'The .eml, unchanged.' }) } } },
          responses: {
            '201': { description: 'Filed (or joined the case of the same message).', ...json(emailReceiptSchema) },
            '200': { description: 'A repeat of an earlier request.', ...json(emailReceiptSchema) },
            '413': { description: 'Larger than EMAIL_REPORT_MAX_MB.', ...json(errorSchema) },
            ...errors,
          },
        },
      },
      '/api/v1/email-reports/graph': {
        post: {
          summary: 'Report an email by its id: DSL Desk fetches it from Microsoft 365 as the reporter (on-behalf-of)',
          requestBody: json(
            z.object({
              itemId: z.string(),
              internetMessageId: z.string().optional(),
              mailbox: z.string().optional().meta({ description: 'A shared mailbox such as office@; the reporter’s own when absent.' }),
              choice: z.enum(EMAIL_REPORT_CHOICES).optional(),
              note: z.string().optional(),
              subjectPersonId: z.uuid().optional().meta({ description: 'The member of staff the email is about (from /api/v1/people/search).' }),
              children: z.array(z.object({ pupilId: z.uuid().optional(), name: z.string().optional(), role: z.enum(CASE_CHILD_ROLES).optional() })).optional().meta({ description: 'The children the email is about (safeguarding or inappropriate only): {pupilId} from /api/v1/pupils/search or {name} as typed.' }),
            }),
          ),
          responses: { '201': { description: 'Filed.', ...json(emailReceiptSchema) }, '403': { description: 'Microsoft 365 says the reporter cannot read that mailbox.', ...json(errorSchema) }, ...errors },
        },
      },
      '/api/v1/cases/{caseId}/emails/{emailId}/eml': {
        get: { summary: 'Download a reported email (DSL roles and IT; audited)', requestParams: { path: emailParams }, responses: { '200': { description: 'The .eml.', content: { 'message/rfc822': { schema: z.string().meta({ format: 'binary' }) } } }, ...errors } },
      },
      '/api/v1/cases/{caseId}/emails/{emailId}/remove': {
        post: { summary: 'Remove every copy from the school’s mailboxes (queued; audited)', requestParams: { path: emailParams }, responses: { '202': { description: 'Queued; the chronology shows the counts.' }, ...errors } },
      },
      '/api/v1/cases/{caseId}/emails/{emailId}/forward': {
        post: {
          summary: 'Forward unmodified as "Phishing: …" to the security mailbox and/or the NCSC',
          requestParams: { path: emailParams },
          requestBody: json(z.object({ to: z.array(z.enum(['security', 'ncsc'])) })),
          responses: { '200': { description: 'Sent.' }, ...errors },
        },
      },
      '/api/v1/cases/{caseId}/emails/{emailId}/verdict': {
        post: {
          summary: 'Confirm or change the suggested verdict, with a reason (DSL roles and IT; audited). Reporters are told only a decided verdict.',
          requestParams: { path: emailParams },
          requestBody: json(z.object({ verdict: z.enum(CONFIRMED_VERDICTS), reason: z.string() })),
          responses: { '200': { description: 'Decided.', ...json(z.object({ verdict: z.string(), changed: z.boolean() })) }, ...errors },
        },
      },
      '/api/v1/cases/{caseId}/emails/{emailId}/tell-reporters': {
        post: {
          summary: 'Tell everyone who reported it the decided verdict (suspicious-email cases)',
          requestParams: { path: emailParams },
          responses: { '200': { description: 'Queued 1:1 messages.' }, '409': { description: 'No verdict has been decided yet.', ...json(errorSchema) }, ...errors },
        },
      },
      '/api/v1/aup/policies': {
        get: { summary: 'The school’s acceptable use policies, every version (without text)', responses: { '200': { description: 'Policies.' }, ...errors } },
        post: { summary: 'Publish a new version for an audience (admins, head, DSL)', requestBody: json(aupPolicyInputSchema), responses: { '201': { description: 'Published.' }, '409': { description: 'Same text as the current version.', ...json(errorSchema) }, ...errors } },
      },
      '/api/v1/aup/policies/{policyId}': {
        get: { summary: 'One version with its text and SHA-256', requestParams: { path: z.object({ policyId: z.string() }) }, responses: { '200': { description: 'The policy.' }, ...errors } },
      },
      '/api/v1/aup/policies/{policyId}/my-signature': {
        get: {
          summary: 'Whether I have signed this version in the current cycle, and whether it can still be signed',
          requestParams: { path: z.object({ policyId: z.string() }) },
          responses: { '200': { description: 'The version, and my signature of it this cycle (null when not signed).', ...json(mySignatureSchema) }, ...errors },
        },
      },
      '/api/v1/aup/policies/{policyId}/acknowledgements': {
        post: {
          summary: 'Sign the current version',
          requestParams: {
            path: z.object({ policyId: z.string() }),
            header: z.object({
              'X-DSL-Desk-Surface': z.literal('teams-tab').optional().meta({ description: 'Signing inside Teams (tab or stage view): recorded as surface "teams" with an Entra token, "web" otherwise.' }),
            }),
          },
          requestBody: json(signatureInputSchema),
          responses: { '201': { description: 'Signed.' }, '200': { description: 'Already signed: the first signature.' }, '409': { description: 'A newer version has replaced this one.', ...json(errorSchema) }, ...errors },
        },
      },
      '/api/v1/aup/policies/{policyId}/acknowledgements/{acknowledgementId}/certificate.pdf': {
        get: {
          summary: 'A signature’s certificate (the signer and admins)',
          requestParams: { path: z.object({ policyId: z.string(), acknowledgementId: z.string() }) },
          responses: { '200': { description: 'The PDF.', content: { 'application/pdf': { schema: z.string().meta({ format: 'binary' }) } } }, ...errors },
        },
      },
      '/api/v1/aup/links': {
        get: { summary: 'One-time signing links, newest first, without their tokens (admins, head, DSL)', responses: { '200': { description: 'Links.', ...json(z.object({ links: z.array(signingLinkSchema) })) }, ...errors } },
        post: {
          summary: 'Make a one-time signing link for someone without an account (admins, head, DSL)',
          requestBody: json(signingLinkInputSchema),
          responses: {
            '201': { description: 'The link and its QR code.', ...json(createdSigningLinkSchema) },
            '403': { description: 'Not one of the school’s admins, head or DSL.', ...json(errorSchema) },
            '409': { description: 'No policy has been published for that audience yet.', ...json(errorSchema) },
            ...errors,
          },
        },
      },
      '/api/v1/aup/new-starters': {
        post: {
          summary: 'Add a new starter by hand and send them their audience’s policy (admins, head, DSL)',
          requestBody: json(newStarterInputSchema),
          responses: { '201': { description: 'Recorded; the delivery when one was queued.', ...json(z.object({ personId: z.string(), delivery: z.object({ state: z.string(), reason: z.string() }).optional() })) }, ...errors },
        },
      },
      '/api/v1/aup/status': {
        get: {
          summary: 'Who has and has not signed the current policy for their audience this cycle; CSV with format=csv (admins, head, DSL)',
          requestParams: { query: z.object({ audience: z.enum(AUP_AUDIENCES).optional(), unsigned: z.enum(['true', '1']).optional(), format: z.enum(['json', 'csv']).optional() }) },
          responses: { '200': { description: 'Rows and totals, or the CSV export.', content: { 'application/json': { schema: z.object({ cycle: z.string(), rows: z.array(z.record(z.string(), z.unknown())), totals: z.record(z.string(), z.number()) }) }, 'text/csv': { schema: z.string() } } }, ...errors },
        },
      },
      '/api/v1/aup/campaigns': {
        get: { summary: 'Progress of the latest campaigns: sent, signed, failed with reasons (admins, head, DSL)', responses: { '200': { description: 'Campaigns.' }, ...errors } },
        post: {
          summary: 'Start (or top up) the campaign for the current version of a policy',
          requestBody: json(z.object({ policyId: z.string() })),
          responses: { '201': { description: 'Started.' }, '200': { description: 'Already running: anyone missing was added.' }, '409': { description: 'That version has been replaced.', ...json(errorSchema) }, ...errors },
        },
      },
      '/api/v1/aup/campaigns/{campaignId}': {
        get: { summary: 'One campaign’s progress', requestParams: { path: z.object({ campaignId: z.string() }) }, responses: { '200': { description: 'Progress.' }, ...errors } },
      },
      '/api/v1/aup/settings': {
        get: { summary: 'Audience rules, reminder days, school day, yearly date, service account patterns', responses: { '200': { description: 'Settings.', ...json(aupSettingsSchema) }, ...errors } },
        put: { summary: 'Replace the settings (admins, head, DSL)', requestBody: json(aupSettingsSchema), responses: { '200': { description: 'Saved.', ...json(aupSettingsSchema) }, ...errors } },
      },
      '/api/v1/aup/people/{personId}/profile': {
        put: {
          summary: 'Override a person’s audience, set their start date or line manager',
          requestParams: { path: z.object({ personId: z.string() }) },
          requestBody: json(aupProfileInputSchema),
          responses: { '200': { description: 'The profile.' }, ...errors },
        },
      },
      '/api/v1/people/search': {
        get: {
          summary: 'Search the school\'s people by name: names and ids only, to name the member of staff an allegation is about (rate-limited)',
          requestParams: { query: staffSearchQuerySchema },
          responses: { '200': { description: 'Up to 15 people.', ...json(staffChoiceListSchema) }, ...errors },
        },
      },
      '/api/v1/pupils/search': {
        get: {
          summary: 'Search the school\'s pupils on roll by name, to pick the child a concern is about: preferred name, year and registration group only (any member of staff; rate-limited)',
          requestParams: { query: pupilSearchQuerySchema },
          responses: { '200': { description: 'Up to 15 pupils, best match first.', ...json(pupilChoiceListSchema) }, ...errors },
        },
      },
      '/api/v1/pupils/{pupilId}': {
        get: {
          summary: 'A pupil\'s record: legal and preferred names, date of birth, UPN, year, registration group, leaving date (DSLs, deputies, head; each view recorded)',
          requestParams: { path: pupilParamsSchema },
          responses: { '200': { description: 'The pupil.', ...json(pupilSchema) }, ...errors },
        },
      },
      '/api/v1/pupils/import': {
        post: {
          summary: 'Import pupils from the MIS: a Common Transfer File (text/xml) or a CSV (text/csv); re-runnable by UPN (DSLs, deputies, head, admins; audited)',
          requestBody: { content: { 'text/xml': { schema: z.string().meta({ description: 'The CTF as the MIS exported it.' }) }, 'text/csv': { schema: z.string().meta({ description: 'upn,legal_forename,legal_surname,preferred_forename,preferred_surname,date_of_birth,year_group,registration_group,leaving_date' }) } } },
          responses: { '200': { description: 'What the import did; each rejected pupil with its place and what to fix.', ...json(pupilImportReportSchema) }, ...errors },
        },
      },
      '/api/v1/audit/access': {
        get: {
          summary: 'Who opened what: access events by case, person and date (DSL and headteacher; itself recorded)',
          requestParams: { query: accessQuerySchema },
          responses: { '200': { description: 'Access events, oldest first.', ...json(accessListSchema) }, ...errors },
        },
      },
      '/api/v1/people': {
        get: { summary: "The school's people and roles (admins)", responses: { '200': { description: 'People.', ...json(z.object({ people: z.array(personSchema) })) }, ...errors } },
        post: { summary: 'Add or update a person (admins)', requestBody: json(personInputSchema), responses: { '201': { description: 'Added.', ...json(personSchema) }, '200': { description: 'Updated.', ...json(personSchema) }, ...errors } },
      },
      '/api/v1/trusts/{trust}/figures': {
        get: {
          summary: 'Each school’s figures for the trust safeguarding lead (no case content; audited per school)',
          requestParams: { path: trustParamsSchema },
          responses: { '200': { description: 'The figures.', ...json(trustFiguresSchema) }, ...errors },
        },
      },
      '/api/v1/people/{personId}/roles/{role}': {
        put: { summary: 'Grant a role (admins)', requestParams: { path: roleParamsSchema }, responses: { '200': { description: 'The person.', ...json(personSchema) }, ...errors } },
        delete: { summary: 'Revoke a role (admins)', requestParams: { path: roleParamsSchema }, responses: { '200': { description: 'The person.', ...json(personSchema) }, ...errors } },
      },
    },
  });
}
