import { z } from 'zod';
import { CASE_STATUSES } from '../domain/case.ts';
import { CASE_RECORD_ACTIONS, CASE_RECORD_COMMANDS } from '../domain/case-command.ts';
import { caseSourceSchema, concernSchema, REPORT_CHANNELS } from '../domain/concern.ts';
import { INCIDENT_TYPE_CODES, URGENCIES } from '../domain/incident-types.ts';
import { ROLES } from '../domain/roles.ts';
import { CASE_CHILD_ROLES, patternRuleSchema, reportedChildSchema } from '../domain/pupil.ts';
import { changeReasonSchema, endProtectionStatusSchema, protectionStatusInputSchema } from '../domain/case-children.ts';
import { textField } from '../domain/text.ts';

/**
 * The REST API's request and response shapes. Validation and the OpenAPI document both come from these,
 * so they cannot drift apart. Unknown fields are rejected everywhere (strict objects).
 */
export const idempotencyKeySchema = textField().trim().min(8, 'The idempotency key must be 8-200 characters.').max(200, 'The idempotency key must be 8-200 characters.');

export const reportRequestSchema = z
  .strictObject({
    concern: concernSchema,
    source: caseSourceSchema.optional(),
    channel: z.enum(REPORT_CHANNELS).default('api'),
    idempotencyKey: idempotencyKeySchema.optional(),
    children: z
      .array(reportedChildSchema)
      .max(30, 'Name at most 30 children; describe larger groups in the description.')
      .optional()
      .meta({ description: 'The children the concern is about or involves: picked from GET /api/v1/pupils/search (pupilId), or typed (name) when the search found nobody; each with a role.' }),
    schoolId: textField()
      .trim()
      .min(1)
      .max(100)
      .optional()
      .meta({ description: 'The school (id or slug) the report is for. Required when the reporter belongs to more than one school of a trust.' }),
  })
  .meta({ id: 'ReportRequest', description: 'A concern as a member of staff reports it.' });

export const reportReceiptSchema = z
  .object({
    caseId: z.uuid(),
    reference: z.string().meta({ example: 'CASE-2026-0042' }),
    status: z.enum(CASE_STATUSES),
    receivedAt: z.iso.datetime(),
    duplicate: z.boolean(),
    joinedExisting: z.boolean(),
  })
  .meta({ id: 'ReportReceipt' });

export const myReportSchema = z
  .object({ caseId: z.uuid(), reference: z.string(), status: z.enum(CASE_STATUSES), reportedAt: z.iso.datetime(), updatedAt: z.iso.datetime() })
  .meta({ id: 'MyReport', description: 'One of my own reports: status only.' });

export const caseHeaderSchema = z
  .object({
    id: z.uuid(),
    reference: z.string(),
    status: z.enum(CASE_STATUSES),
    urgency: z.enum(URGENCIES),
    types: z.array(z.enum(INCIDENT_TYPE_CODES)),
    restricted: z.boolean(),
    assigneeId: z.uuid().optional(),
    reporterCount: z.number().int(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'CaseHeader', description: 'What a case list shows: never the concern itself.' });

const listOf = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (typeof value === 'string' ? value.split(',') : value), z.array(schema));

export const caseQuerySchema = z.strictObject({
  status: listOf(z.enum(CASE_STATUSES, { message: `status must be some of: ${CASE_STATUSES.join(', ')}` })).optional(),
  urgency: listOf(z.enum(URGENCIES, { message: `urgency must be some of: ${URGENCIES.join(', ')}` })).optional(),
  type: z.enum(INCIDENT_TYPE_CODES, { message: 'type must be an incident type code from /api/v1/incident-types' }).optional(),
  assignee: z.uuid({ message: 'assignee must be a person id' }).optional(),
  limit: z.coerce.number({ message: 'limit must be a number' }).int().min(1, 'limit must be 1-200').max(200, 'limit must be 1-200').default(50),
  before: textField()
    .regex(/^[^|]+\|[0-9a-f-]{36}$/, 'before must be the `next` cursor of the previous page')
    .optional(),
});

export const caseListSchema = z.object({ cases: z.array(caseHeaderSchema), next: z.string().optional() }).meta({ id: 'CaseList' });

/**
 * The case actions of the REST API: the domain's case commands on the record itself, so the API and the cards
 * agree. The API names the assignee by person id only (a card may send any choice, which the use case refuses).
 */
const [acknowledgeCommand, assignCommand, ...otherRecordCommands] = CASE_RECORD_COMMANDS;
export const caseActionSchema = z
  .discriminatedUnion('action', [acknowledgeCommand, assignCommand.extend({ assigneeId: z.uuid({ message: 'Give the id of the person to assign.' }) }), ...otherRecordCommands], { message: `action must be one of: ${CASE_RECORD_ACTIONS.join(', ')}` })
  .meta({ id: 'CaseAction' });

export const caseDetailSchema = z
  .object({
    case: z.record(z.string(), z.unknown()).meta({ description: 'The full case record, including the concern; for DSL roles only.' }),
    protocols: z.array(z.object({ code: z.string(), title: z.string(), steps: z.array(z.object({ code: z.string(), label: z.string() })) })),
    chronology: z.array(z.object({ seq: z.number().int(), at: z.string(), actorId: z.string().nullable(), action: z.string(), detail: z.record(z.string(), z.unknown()) })),
    canAct: z.boolean(),
    names: z.record(z.string(), z.string()).meta({ description: 'Display names of the people the record mentions, by person id.' }),
    emails: z.array(z.record(z.string(), z.unknown())).meta({ description: 'Reported emails: analysis (verdict, signals, attachments by name and SHA-256); download the .eml from /cases/{caseId}/emails/{emailId}/eml.' }),
    legalHold: z
      .object({ caseId: z.string(), reason: z.string(), byId: z.string(), at: z.string() })
      .optional()
      .meta({ description: 'The legal hold on the case, if any: while it stands, retention drops none of its reported emails.' }),
    deliveries: z
      .array(z.object({ target: z.string(), platform: z.string(), state: z.enum(['posted', 'failed']), failure: z.string().optional(), updatedAt: z.string() }))
      .meta({ description: 'Cards posted about the case; a failed one was not delivered, with the reason. The email fallback, used when Teams did not deliver in time, has platform "email" and target "email:<what Teams did not deliver>".' }),
  })
  .meta({ id: 'CaseDetail' });

export const personInputSchema = z
  .strictObject({
    displayName: textField().trim().min(1, 'Give the person’s name.').max(200),
    email: z.email({ message: 'Give a valid email address.' }),
    roles: z.array(z.enum(ROLES, { message: `roles must be some of: ${ROLES.join(', ')}` })).min(1, 'Give at least one role.').default(['staff']),
    entraObjectId: z.uuid({ message: 'entraObjectId must be a GUID.' }).optional(),
    googleSubject: textField().max(100).optional(),
  })
  .meta({ id: 'PersonInput' });

export const personSchema = z
  .object({ id: z.uuid(), displayName: z.string(), email: z.string(), roles: z.array(z.enum(ROLES)), active: z.boolean() })
  .meta({ id: 'Person' });

export const roleParamsSchema = z.strictObject({ personId: z.uuid({ message: 'personId must be a person id.' }), role: z.enum(ROLES, { message: `role must be one of: ${ROLES.join(', ')}` }) });

export const trustParamsSchema = z.strictObject({ trust: textField().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'trust must be a trust slug.') });

const countOf = z.number().int().min(0);
export const trustFiguresSchema = z
  .object({
    trust: z.object({ slug: z.string(), name: z.string() }),
    asOf: z.iso.datetime(),
    schools: z.array(
      z.object({
        school: z.object({ id: z.string(), slug: z.string(), name: z.string() }),
        openCases: countOf,
        byStatus: z.object({ new: countOf, acknowledged: countOf, in_progress: countOf, escalated: countOf }),
        urgentOpen: countOf,
        escalatedOpen: countOf,
        ages: z.object({ underSevenDays: countOf, sevenToThirtyDays: countOf, overThirtyDays: countOf, oldestOpenDays: countOf.nullable() }),
        viewerIsSchoolDsl: z.boolean(),
      }),
    ),
  })
  .meta({ id: 'TrustFigures', description: 'Each school’s open cases, ages and escalations: counts only, no case content.' });

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
      requestId: z.string().optional(),
    }),
  })
  .meta({ id: 'Error' });

export const meSchema = z
  .object({ personId: z.uuid(), schoolId: z.uuid(), displayName: z.string(), roles: z.array(z.enum(ROLES)) })
  .meta({ id: 'Me' });

/** The people search behind "who is the allegation about?" (any signed-in member of the school). */
export const staffSearchQuerySchema = z.strictObject({
  q: textField({ message: 'q must be the name to search for' }).trim().max(100, 'q must be under 100 characters'),
});
export const staffChoiceListSchema = z.object({ people: z.array(z.object({ id: z.string(), name: z.string() })) }).meta({ id: 'StaffChoices' });

/** Who opened what (DSL and headteacher). */
export const accessQuerySchema = z.strictObject({
  case: textField().trim().regex(/^CASE-\d{4}-\d{4,}$/i, 'case must be a case reference such as CASE-2026-0042').optional(),
  person: z.email({ message: 'person must be an email address' }).optional(),
  since: textField().trim().max(40, 'since must be a date such as 2026-11-23').optional(),
  until: textField().trim().max(40, 'until must be a date such as 2026-11-23').optional(),
  limit: z.coerce.number({ message: 'limit must be a number' }).int().min(1, 'limit must be 1-5000').max(5000, 'limit must be 1-5000').default(1000),
});
export const accessListSchema = z
  .object({
    entries: z.array(
      z.object({
        at: z.string(),
        action: z.string(),
        personId: z.string().nullable(),
        personName: z.string().nullable(),
        personEmail: z.string().nullable(),
        caseId: z.string().nullable(),
        caseReference: z.string().nullable(),
        policyId: z.string().nullable(),
        detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
      }),
    ),
    truncated: z.boolean(),
  })
  .meta({ id: 'AccessList' });

/** The pupil register: the picker's search, a pupil's record (DSLs, deputies, head), an import's report. */
export const pupilSearchQuerySchema = z.strictObject({
  q: textField({ message: 'q must be the name to search for' }).trim().max(100, 'q must be under 100 characters'),
});
export const pupilParamsSchema = z.strictObject({ pupilId: z.uuid({ message: 'pupilId must be the id the pupil search gave' }) });
export const pupilChoiceListSchema = z
  .object({ pupils: z.array(z.object({ id: z.string(), name: z.string(), yearGroup: z.string().optional(), registrationGroup: z.string().optional() })) })
  .meta({ id: 'PupilChoices' });
export const pupilSchema = z
  .object({
    id: z.string(),
    upn: z.string(),
    legalForename: z.string(),
    legalSurname: z.string(),
    preferredForename: z.string().optional(),
    preferredSurname: z.string().optional(),
    dateOfBirth: z.string(),
    yearGroup: z.string().optional(),
    registrationGroup: z.string().optional(),
    leftOn: z.string().optional(),
    directoryAccount: z.string().optional(),
    mergedInto: z.string().optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Pupil' });
export const pupilImportReportSchema = z
  .object({
    format: z.enum(['ctf', 'csv']),
    full: z.boolean(),
    added: z.number(),
    updated: z.number(),
    markedLeft: z.number(),
    unchanged: z.number(),
    rejected: z.array(z.object({ position: z.string(), message: z.string() })),
    notInFile: z.number(),
  })
  .meta({ id: 'PupilImportReport' });

// ---- pupils on cases ----------------------------------------------------------------------------

const uuidOf = (what: string) => z.uuid({ message: `${what} must be an id.` });

export const caseChildParamsSchema = z.strictObject({ caseId: z.string(), childId: uuidOf('childId') });
export const protectionStatusParamsSchema = z.strictObject({ pupilId: uuidOf('pupilId'), statusId: uuidOf('statusId') });
export const pupilPatternParamsSchema = z.strictObject({ alertId: uuidOf('alertId') });

export const linkCaseChildSchema = z
  .strictObject({
    pupilId: uuidOf('pupilId'),
    childId: uuidOf('childId').optional().meta({ description: 'A child already on the case (a typed name flagged to link): linking resolves the flag.' }),
    role: z.enum(CASE_CHILD_ROLES, { message: `role must be one of: ${CASE_CHILD_ROLES.join(', ')}` }).optional(),
    reason: changeReasonSchema,
  })
  .meta({ id: 'LinkCaseChild', description: 'Link a pupil of the register to a case, with a reason.' });

export const unlinkCaseChildSchema = z.strictObject({ reason: changeReasonSchema }).meta({ id: 'UnlinkCaseChild' });

export const mergePupilsSchema = z
  .strictObject({ mergePupilId: uuidOf('mergePupilId').meta({ description: 'The other record of the same child: its links move to the pupil in the path, which stays.' }), reason: changeReasonSchema })
  .meta({ id: 'MergePupils' });

export const protectionStatusRequestSchema = protectionStatusInputSchema.meta({ id: 'ProtectionStatusInput' });
export const endProtectionStatusRequestSchema = endProtectionStatusSchema.meta({ id: 'EndProtectionStatus' });
export const pupilPatternRuleRequestSchema = patternRuleSchema.meta({ id: 'PupilPatternRule', description: 'count concerns within days (any type), or one of alwaysTypes, make a pattern for a pupil.' });
