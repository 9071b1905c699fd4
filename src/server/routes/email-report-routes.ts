import express, { Router } from 'express';
import type { AppDeps } from '../../app/deps.ts';
import { downloadReportedEmail } from '../../app/emails/download-reported-email.ts';
import { reportEmail } from '../../app/emails/report-email.ts';
import { reportEmailFromMailbox } from '../../app/emails/report-email-from-mailbox.ts';
import { FORWARD_TARGETS, forwardReportedEmail } from '../../app/emails/forward-reported-email.ts';
import { requestEmailRemoval } from '../../app/emails/remove-reported-email.ts';
import { tellReportersVerdict } from '../../app/emails/tell-reporters-verdict.ts';
import { CONFIRMED_VERDICTS, EMAIL_REPORT_CHOICES } from '../../domain/email-report.ts';
import { confirmEmailVerdict } from '../../app/emails/confirm-email-verdict.ts';
import { AppError, invalidInput } from '../../domain/errors.ts';
import { z } from 'zod';
import { reportedChildSchema, type ReportedChild } from '../../domain/pupil.ts';
import { textField } from '../../domain/text.ts';
import { idempotencyKeySchema } from '../schemas.ts';
import { validate } from '../validate.ts';
import { actorOf, identityOf } from '../request-context.ts';

const choiceSchema = z.enum(EMAIL_REPORT_CHOICES, { message: `choice must be one of: ${EMAIL_REPORT_CHOICES.join(', ')}` });
const NOTE_MAX = 2000;
/** More children than a form would ever name on one email: a bound, not a policy. */
const CHILDREN_MAX = 20;
const childrenSchema = z.array(reportedChildSchema).max(CHILDREN_MAX, `Name at most ${CHILDREN_MAX} children on one report.`);

const forwardSchema = z.strictObject({
  to: z.array(z.enum(FORWARD_TARGETS, { message: `to must list some of: ${FORWARD_TARGETS.join(', ')}` })).min(1, 'Say where to forward it: security, ncsc, or both.'),
});

const verdictSchema = z.strictObject({
  verdict: z.enum(CONFIRMED_VERDICTS, { message: `verdict must be one of: ${CONFIRMED_VERDICTS.join(', ')}` }),
  reason: textField().trim().min(1, 'Say why you confirm or change the verdict.').max(2000, 'Keep the reason under 2,000 characters.'),
});

const graphReportSchema = z.strictObject({
  itemId: textField({ message: 'Give the message id (itemId, as Office.js convertToRestId gives it).' }).trim().min(1, 'Give the message id.').max(1000),
  internetMessageId: textField().trim().max(1000).optional(),
  mailbox: z.email({ message: 'mailbox must be an email address, such as office@your-school.sch.uk.' }).optional(),
  choice: choiceSchema.default('phishing'),
  note: textField().max(NOTE_MAX, `Keep the note under ${NOTE_MAX} characters.`).optional(),
  subjectPersonId: z.uuid({ message: 'subjectPersonId must be the id the people search gave for the member of staff.' }).optional(),
  /** The children the email is about: {pupilId} from the pupil search or {name} as typed, each with an optional role. */
  children: childrenSchema.optional(),
});
/** The member of staff an emailed concern is about, as the people search (GET /people/search) named them. */
const subjectSchema = z.uuid({ message: 'subject must be the id the people search gave for the member of staff.' });
const EML_TYPES = ['message/rfc822', 'application/octet-stream'];

export interface EmailReportRouteOptions {
  /** Largest .eml accepted, in bytes (413 above it). */
  maxBytes: number;
}

/**
 * "Report to DSL" from a mail client: the whole message as message/rfc822, the reporter's choice in the
 * query and their note in a header (so the body is the .eml, unchanged). Read into memory up to the limit.
 */
export function emailReportRoutes(deps: AppDeps, options: EmailReportRouteOptions): Router {
  const router = Router();
  const readEml = express.raw({ type: EML_TYPES, limit: options.maxBytes });

  router.post(
    '/email-reports',
    (req, _res, next) => {
      // Checked before reading a byte, so a wrong upload is refused at once with what to send instead.
      if (!req.is(EML_TYPES)) {
        next(invalidInput('Send the email itself as the body, with Content-Type: message/rfc822 (an .eml file).', [{ path: 'Content-Type', message: 'Use message/rfc822.' }]));
        return;
      }
      next();
    },
    (req, res, next) => {
      readEml(req, res, (error?: unknown) => {
        if ((error as { type?: string } | undefined)?.type === 'entity.too.large') {
          const megabytes = Math.round(options.maxBytes / (1024 * 1024));
          next(new AppError('payload_too_large', `This email is larger than the ${megabytes} MB DSL Desk accepts. Tell your DSL or IT team about it directly, or describe it in a report.`));
          return;
        }
        next(error);
      });
    },
    async (req, res) => {
      const actor = actorOf(res);
      const choice = validate(choiceSchema, req.query.choice ?? 'phishing', 'query.choice');
      const header = req.get('Idempotency-Key');
      const idempotencyKey = header === undefined ? undefined : validate(idempotencyKeySchema, header, 'Idempotency-Key header');
      const note = decodeNote(req.get('X-Report-Note'));
      const children = decodeChildren(req.get('X-Report-Children'));
      const subjectPersonId = req.query.subject === undefined || req.query.subject === '' ? undefined : validate(subjectSchema, req.query.subject, 'query.subject');
      const raw = req.body instanceof Buffer ? req.body : undefined;
      if (!raw || raw.byteLength === 0) throw invalidInput('The body was empty: send the email as an .eml file.');
      const receipt = await reportEmail(deps, {
        actor,
        raw,
        choice,
        channel: 'outlook',
        ...(note ? { note } : {}),
        ...(subjectPersonId ? { subjectPersonId } : {}),
        ...(children.length ? { children } : {}),
        ...(idempotencyKey ? { idempotencyKey } : {}),
      });
      res.status(receipt.duplicate ? 200 : 201).json({
        caseId: receipt.caseId,
        reference: receipt.reference,
        receivedAt: receipt.receivedAt,
        joinedExisting: receipt.joinedExisting,
        duplicate: receipt.duplicate,
      });
    },
  );

  router.post('/email-reports/graph', async (req, res) => {
    const actor = actorOf(res);
    const identity = identityOf(res);
    const body = validate(graphReportSchema, req.body, 'body');
    const header = req.get('Idempotency-Key');
    const idempotencyKey = header === undefined ? undefined : validate(idempotencyKeySchema, header, 'Idempotency-Key header');
    const assertion = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    if (identity.provider !== 'entra' || !assertion) {
      throw new AppError('invalid_input', 'DSL Desk can only fetch the email from your mailbox when you are signed in with your school Microsoft 365 account. Use the Report button on the email instead, or tell your DSL.', {
        internal: 'graph report without an Entra sign-in',
      });
    }
    const receipt = await reportEmailFromMailbox(deps, {
      actor,
      userAssertion: assertion,
      tenantId: identity.tenantId,
      messageId: body.itemId,
      choice: body.choice,
      maxBytes: options.maxBytes,
      ...(body.mailbox ? { mailbox: body.mailbox } : {}),
      ...(body.note ? { note: body.note } : {}),
      ...(body.subjectPersonId ? { subjectPersonId: body.subjectPersonId } : {}),
      ...(body.children?.length ? { children: body.children } : {}),
      ...(idempotencyKey ? { idempotencyKey } : {}),
    });
    res.status(receipt.duplicate ? 200 : 201).json({
      caseId: receipt.caseId,
      reference: receipt.reference,
      receivedAt: receipt.receivedAt,
      joinedExisting: receipt.joinedExisting,
      duplicate: receipt.duplicate,
    });
  });

  const emailTarget = (req: express.Request, res: express.Response) => ({ actor: actorOf(res), caseId: String(req.params.caseId).toLowerCase(), emailId: String(req.params.emailId) });

  router.post('/cases/:caseId/emails/:emailId/remove', async (req, res) => {
    const { provider } = await requestEmailRemoval(deps, emailTarget(req, res));
    const bin = provider === 'gmail' ? 'the Bin' : 'Deleted Items';
    res.status(202).json({ queued: true, message: `DSL Desk is searching every mailbox for this email and moving each copy to ${bin}. The case chronology shows how many were found and moved.` });
  });

  router.post('/cases/:caseId/emails/:emailId/forward', async (req, res) => {
    const body = validate(forwardSchema, req.body, 'body');
    res.json(await forwardReportedEmail(deps, { ...emailTarget(req, res), to: body.to }));
  });

  router.post('/cases/:caseId/emails/:emailId/verdict', async (req, res) => {
    const body = validate(verdictSchema, req.body, 'body');
    res.json(await confirmEmailVerdict(deps, { ...emailTarget(req, res), verdict: body.verdict, reason: body.reason }));
  });

  router.post('/cases/:caseId/emails/:emailId/tell-reporters', async (req, res) => {
    res.json(await tellReportersVerdict(deps, emailTarget(req, res)));
  });

  router.get('/cases/:caseId/emails/:emailId/eml', async (req, res) => {
    const actor = actorOf(res);
    const { content, reference } = await downloadReportedEmail(deps, { actor, caseId: String(req.params.caseId).toLowerCase(), emailId: String(req.params.emailId) });
    res
      .set('Cache-Control', 'no-store')
      .set('Content-Type', 'message/rfc822')
      .set('Content-Disposition', `attachment; filename="${reference}-reported-email.eml"`)
      .send(content);
  });

  return router;
}

function decodeNote(value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  let note: string;
  try {
    note = decodeURIComponent(value);
  } catch {
    throw new AppError('invalid_input', 'The note could not be read: send it percent-encoded (encodeURIComponent).', { fields: [{ path: 'X-Report-Note', message: 'Percent-encode the note.' }] });
  }
  if (note.length > NOTE_MAX) throw invalidInput(`Keep the note under ${NOTE_MAX} characters.`, [{ path: 'X-Report-Note', message: `At most ${NOTE_MAX} characters.` }]);
  return note;
}

/**
 * The children an emailed report names, in the X-Report-Children header: a JSON array of {pupilId} or {name}
 * (each with an optional role), percent-encoded like the note. A header rather than the query, so a typed
 * name travels with the note and never in a URL.
 */
function decodeChildren(value: string | undefined): ReportedChild[] {
  if (value === undefined || value.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(decodeURIComponent(value));
  } catch {
    throw new AppError('invalid_input', 'The children named could not be read: send them as percent-encoded JSON (encodeURIComponent(JSON.stringify([...]))).', {
      fields: [{ path: 'X-Report-Children', message: 'Percent-encode a JSON array of {"pupilId": …} or {"name": …}.' }],
    });
  }
  return validate(childrenSchema, parsed, 'X-Report-Children');
}
