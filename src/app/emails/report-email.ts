import { createHash } from 'node:crypto';
import { analyseReportedEmail, schoolDomainsOf, type AnalysisContext, type EmailAnalysis } from '../../analysis/index.ts';
import { concernSchema, type CaseSource } from '../../domain/concern.ts';
import {
  concernTypeForChoice,
  choiceNamesChildren,
  EMAIL_REPORT_CHOICE_LABELS,
  withholdsAttachments,
  type EmailAnalysisSummary,
  type EmailReportChoice,
  type EmailVerdict,
} from '../../domain/email-report.ts';
import { AppError, invalidInput } from '../../domain/errors.ts';
import type { ReportedChild } from '../../domain/pupil.ts';
import type { Actor } from '../../domain/roles.ts';
import type { AppDeps } from '../deps.ts';
import { reportConcern, type ReportReceipt } from '../cases/report-concern.ts';

export interface ReportEmailOptions {
  actor: Actor;
  /** The whole message as the mail client gave it (.eml). */
  raw: Uint8Array;
  choice: EmailReportChoice;
  note?: string;
  /** The member of staff the email is about (chosen in the pane's people search): the case is an allegation, restricted. */
  subjectPersonId?: string;
  /**
   * The children the email is about (picked in the pupil search, or typed): only for a safeguarding or
   * inappropriate-content report. A phishing report is about a message, not a child, and is refused with them.
   */
  children?: ReportedChild[];
  idempotencyKey?: string;
  channel: 'outlook' | 'gmail' | 'api';
}

export interface EmailReportReceipt extends ReportReceipt {
  verdict: EmailVerdict;
}

/** Reports of one message without a Message-ID join within this window (same sender, subject and body). */
const CONTENT_JOIN_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * Files a reported email as a case: analyses it (no network), keeps the analysis and, unless it may hold
 * images of a child (a safeguarding or inappropriate-content report), the sealed message; reports of the same
 * message join one case. The message is kept while the case is open and for the retention period after.
 */
export async function reportEmail(deps: AppDeps, options: ReportEmailOptions): Promise<EmailReportReceipt> {
  const { actor, raw, choice } = options;
  if (raw.byteLength === 0) throw invalidInput('The message was empty. Report it again from the email itself.');
  const children = options.children ?? [];
  if (children.length && !choiceNamesChildren(choice)) {
    // Refused rather than dropped: the reporter named a child, so they meant a concern about one.
    throw invalidInput('A phishing report is about the message, not a child. To name a child, choose “A safeguarding concern about a child” or “Inappropriate or upsetting content”.', [
      { path: 'children', message: 'Only a safeguarding or inappropriate-content report names a child.' },
    ]);
  }
  const sha256 = createHash('sha256').update(raw).digest('hex');
  const facts = (await storedFactsOf(deps, actor, sha256)) ?? factsOf(await analyse(deps, actor, raw));
  const { types, otherType } = concernTypeForChoice(choice);
  const withheld = withholdsAttachments(choice, types);
  const note = options.note?.trim();
  const concern = concernSchema.parse({
    types,
    ...(otherType ? { otherType } : {}),
    location: 'unknown',
    ...(options.subjectPersonId ? { subjectPersonId: options.subjectPersonId } : {}),
    description: note || `${EMAIL_REPORT_CHOICE_LABELS[choice]}: an email reported with no note.`,
    evidence: withheld
      ? `Reported as ${choice === 'inappropriate' ? 'inappropriate or upsetting content' : 'a safeguarding concern'}: the email and its attachments were not kept (only their names, sizes and fingerprints), as it may carry images of a child. Do not look for it, view, copy or forward it.`
      : 'The reported email is kept with this case, sealed, while the case is open and for the retention period after it is closed.',
  });
  const now = deps.clock.now();
  const { summary } = facts;
  const messageId = summary.messageId?.trim().toLowerCase();
  // Safeguarding reports of a message never join its phishing case (which IT may open), nor the reverse:
  // the same email reported for both reasons becomes two cases, each seen by the right people.
  const baseClass = choice === 'phishing' ? 'security' : choice === 'safeguarding' ? 'safeguarding' : 'content';
  // An allegation about a member of staff joins only reports of the same message about the same person:
  // never a case the subject (or IT) may see, and never one that was not restricted.
  const reportClass = options.subjectPersonId ? `allegation:${options.subjectPersonId}:${baseClass}` : baseClass;
  const source: CaseSource = {
    kind: 'email',
    ref: `${reportClass}:${messageId ? `message-id:${messageId}` : `content:${facts.contentFingerprint}:${Math.floor(now.getTime() / CONTENT_JOIN_WINDOW_MS)}`}`,
    ...(summary.fromName || summary.fromAddress ? { author: [summary.fromName, summary.fromAddress].filter(Boolean).join(' ').slice(0, 300) } : {}),
    ...(summary.sentAt && !Number.isNaN(Date.parse(summary.sentAt)) ? { sentAt: new Date(summary.sentAt).toISOString() } : {}),
  };
  const receipt = await reportConcern(deps, {
    actor,
    concern,
    source,
    channel: options.channel,
    ...(children.length ? { children } : {}),
    ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
    alsoStore: async (tx, report) => {
      // The same message reported again: one stored copy is enough, the reporter is already on the case.
      if (report.joinedExisting && (await tx.emails.listForCase(actor.schoolId, report.caseId)).some((email) => email.sha256 === sha256)) return;
      await tx.emails.insert(
        {
          id: deps.ids.newId(),
          schoolId: actor.schoolId,
          caseId: report.caseId,
          reporterId: actor.personId,
          sha256,
          size: raw.byteLength,
          contentKept: !withheld,
          attachmentsWithheld: withheld,
          analysis: summary,
          createdAt: report.now,
        },
        withheld ? undefined : raw,
      );
    },
  });
  return { ...receipt, verdict: summary.verdict };
}

/** What filing a reported email needs from its analysis. */
interface EmailFacts {
  summary: EmailAnalysisSummary;
  /** Only for a message without a Message-ID: reports of the same content join within a day. */
  contentFingerprint?: string;
}

/**
 * The same bytes already reported at this school (a phishing email sent to the whole staff, reported by each):
 * the stored analysis of the first report is theirs too, so a wave of reports is analysed once. Only a complete
 * analysis of a message with a Message-ID is reused; anything else is analysed again.
 */
async function storedFactsOf(deps: AppDeps, actor: Actor, sha256: string): Promise<EmailFacts | undefined> {
  const known = await deps.storage.read((reader) => reader.emails.findBySha256(actor.schoolId, sha256));
  if (!known?.analysis.messageId || known.analysis.verdict === 'not_analysed') return undefined;
  return { summary: known.analysis };
}

async function analyse(deps: AppDeps, actor: Actor, raw: Uint8Array): Promise<EmailAnalysis> {
  const context = await analysisContextFor(deps, actor);
  let analysis: EmailAnalysis;
  try {
    // The service analyses in a worker with a time budget; without one (the CLI, unit tests) it runs here.
    analysis = await (deps.analyseEmail ?? analyseReportedEmail)(raw, context);
  } catch (error) {
    throw new AppError('invalid_input', 'DSL Desk could not read that as an email message (.eml). Report it again from the email itself.', { cause: error, internal: 'unparseable MIME' });
  }
  if (!analysis.message.from?.address && !analysis.message.messageId && !analysis.message.subject) {
    throw invalidInput('That does not look like an email message: it has no sender, subject or Message-ID. Report it again from the email itself.');
  }
  return analysis;
}

function factsOf(analysis: EmailAnalysis): EmailFacts {
  return { summary: summarise(analysis), contentFingerprint: analysis.contentFingerprint };
}

function summarise(analysis: EmailAnalysis): EmailAnalysisSummary {
  const { message } = analysis;
  return {
    verdict: analysis.verdict,
    signals: analysis.signals.map(({ code, severity, evidence }) => ({ code, severity, evidence })),
    attachments: analysis.attachments.map(({ filename, detectedType, declaredType, size, sha256, risky }) => ({ filename, detectedType, declaredType, size, sha256, risky })),
    ...(message.messageId ? { messageId: message.messageId } : {}),
    ...(message.subject ? { subject: message.subject } : {}),
    ...(message.from?.name ? { fromName: message.from.name } : {}),
    ...(message.from?.address ? { fromAddress: message.from.address } : {}),
    ...(message.date ? { sentAt: message.date } : {}),
  };
}

/** What the analysis needs to know about the school: its own domains, its staff's names, the reporter's address. */
async function analysisContextFor(deps: AppDeps, actor: Actor): Promise<AnalysisContext> {
  return deps.storage.read(async (reader) => {
    const school = await reader.schools.get(actor.schoolId);
    const people = await reader.people.list(actor.schoolId);
    const reporter = people.find((person) => person.id === actor.personId);
    const domains = new Set(schoolDomainsOf(people.map((person) => person.email)));
    if (school?.googleDomain) domains.add(school.googleDomain.toLowerCase());
    return {
      ...(school ? { schoolName: school.name } : {}),
      schoolDomains: [...domains],
      staffNames: people.filter((person) => person.active).map((person) => person.displayName),
      ownAddresses: reporter ? [reporter.email] : [],
    };
  });
}
