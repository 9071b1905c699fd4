import { z } from 'zod';
import { evidenceText, textField } from './text.ts';
import { INCIDENT_TYPE_CODES, incidentType, type IncidentTypeCode } from './incident-types.ts';

/**
 * The concern record (product §1) as a reporter fills it in. Every message says what to fix, because a
 * teacher in a hurry reads it on the same form, with what they typed still there.
 */
export const INVOLVED_GROUPS = ['child', 'staff', 'parent_carer', 'other'] as const;
export type InvolvedGroup = (typeof INVOLVED_GROUPS)[number];

export const LOCATIONS = ['inside_school', 'outside_school', 'unknown'] as const;

const isoDateTime = z.iso.datetime({ offset: true, message: 'Give a date and time such as 2026-11-23T08:15:00Z.' });

export const involvedPersonSchema = z.strictObject({
  group: z.enum(INVOLVED_GROUPS, { message: 'Choose child, staff, parent_carer or other.' }),
  name: textField({ message: 'Give a name or a short description of the person.' }).trim().min(1, 'Give a name or a short description of the person.').max(200, 'Keep the name under 200 characters.'),
  contact: textField().trim().max(300, 'Keep contact details under 300 characters.').optional(),
});
export type InvolvedPerson = z.infer<typeof involvedPersonSchema>;

export const occurredSchema = z.strictObject({
  from: isoDateTime.optional(),
  to: isoDateTime.optional(),
  ongoing: z.boolean().optional(),
  note: textField().trim().max(500, 'Keep the note on timing under 500 characters.').optional(),
});

export const concernSchema = z
  .strictObject({
    types: z
      .array(z.enum(INCIDENT_TYPE_CODES, { message: 'Choose incident types from the list at /api/v1/incident-types.' }), {
        message: 'Choose at least one incident type.',
      })
      .min(1, 'Choose at least one incident type.')
      .max(10, 'Choose at most 10 incident types.'),
    otherType: textField().trim().max(200, 'Keep this under 200 characters.').optional(),
    location: z.enum(LOCATIONS, { message: 'Say whether it happened inside_school, outside_school, or unknown.' }).default('unknown'),
    occurred: occurredSchema.optional(),
    involved: z.array(involvedPersonSchema).max(50, 'List at most 50 people; describe larger groups in the description.').default([]),
    description: textField({ message: 'Describe what happened: what, when, where and how.' })
      .trim()
      .min(1, 'Describe what happened: what, when, where and how.')
      .max(20000, 'Keep the description under 20,000 characters.'),
    appsInvolved: z.array(textField().trim().min(1, 'Remove the empty app name.').max(100, 'Keep each app name under 100 characters.')).max(20, 'List at most 20 apps.').default([]),
    evidence: textField().trim().max(5000, 'Keep the evidence description under 5,000 characters.').optional(),
    url: textField().trim().max(2000, 'Keep the web address under 2,000 characters.').optional(),
    childAtImmediateRisk: z.boolean().default(false),
    subjectPersonId: z.uuid({ message: 'Give the id of the member of staff the allegation is about.' }).optional(),
  })
  .superRefine((concern, ctx) => {
    const types = new Set(concern.types);
    if (types.size !== concern.types.length) {
      ctx.addIssue({ code: 'custom', path: ['types'], message: 'Each incident type may be chosen once.' });
    }
    for (const code of types) {
      const type = incidentType(code);
      if ('needsDetail' in type && type.needsDetail && !concern.otherType) {
        ctx.addIssue({ code: 'custom', path: ['otherType'], message: 'You chose "Other": say what kind of incident it is.' });
      }
      if ('needsUrl' in type && type.needsUrl && !concern.url) {
        ctx.addIssue({ code: 'custom', path: ['url'], message: 'Give the web address that the filter let through.' });
      }
    }
    // Compared as instants: the two may carry different offsets (BST is +01:00).
    if (concern.occurred?.from && concern.occurred.to && Date.parse(concern.occurred.to) < Date.parse(concern.occurred.from)) {
      ctx.addIssue({ code: 'custom', path: ['occurred', 'to'], message: 'The end time must be after the start time.' });
    }
  });

export type ConcernInput = z.input<typeof concernSchema>;
export type Concern = z.infer<typeof concernSchema> & { types: IncidentTypeCode[] };

/** Where a report came from, so repeated reports of the same message join one case. */
export const SOURCE_KINDS = ['form', 'email', 'teams_message', 'chat_message'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export const caseSourceSchema = z.strictObject({
  kind: z.enum(SOURCE_KINDS, { message: 'Source kind must be form, email, teams_message or chat_message.' }),
  ref: textField().trim().min(1, 'Give the id of the message being reported.').max(1000, 'The message id is too long.'),
  url: z.url({ message: 'Give a valid link to the message.' }).max(2000).optional(),
  /** Who sent the reported message and when, as the platform showed them to the reporter. */
  author: evidenceText().trim().max(300, 'Keep the sender under 300 characters.').optional(),
  sentAt: isoDateTime.optional(),
  /** The reported message's own text, kept encrypted with the case and never shown on a card. */
  text: evidenceText().max(50000, 'The reported message is too long to keep; describe it instead.').optional(),
});
export type CaseSource = z.infer<typeof caseSourceSchema>;

export const REPORT_CHANNELS = ['api', 'teams', 'outlook', 'gmail', 'google_chat', 'web'] as const;
export type ReportChannel = (typeof REPORT_CHANNELS)[number];
