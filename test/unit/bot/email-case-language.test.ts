import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import MarkdownIt from 'markdown-it';
import { analyseEmail, SIGNAL_CODES } from '../../../src/analysis/index.ts';
import { AUTH_SIGNAL_SEVERITY } from '../../../src/analysis/signal-codes.ts';
import type { Case } from '../../../src/domain/case.ts';
import { summariseCase } from '../../../src/domain/case-summary.ts';
import { defang } from '../../../src/domain/defang.ts';
import type { EmailAnalysisSummary } from '../../../src/domain/email-report.ts';
import { EMAIL_SIGNAL_LABELS, signalLabel, technicalSignalName } from '../../../src/domain/email-signals.ts';
import { caseDetailCardFor, channelCardFor } from '../../../bot/teams/case-cards.ts';
import * as AdaptiveCards from './fixtures/adaptivecards-runtime.cjs';
import { allNodes, libraryProblems, schemaProblems, structuralProblems } from './fixtures/card-checks.ts';
import { caseWithMarkers, NAMES } from './fixtures/sample-cases.ts';
import { expectTimeInStepWithSize, inputsByScale } from '../../support/time-growth.ts';

const ANALYSIS_DIR = join(__dirname, '../../../src/analysis');

/**
 * Every signal code written literally in the analysis's sources: `.add('code'`, `add('code'` and
 * `code: 'code'`, plus the authentication outcomes built from AUTH_SIGNAL_SEVERITY. Read from the code
 * itself, so a new check whose code is missing from SIGNAL_CODES (and so from the labels) fails here.
 */
function codesWrittenInTheAnalysis(): Set<string> {
  const codes = new Set<string>();
  for (const file of readdirSync(ANALYSIS_DIR).filter((name) => name.endsWith('.ts') && name !== 'signal-codes.ts')) {
    const source = readFileSync(join(ANALYSIS_DIR, file), 'utf8');
    for (const match of source.matchAll(/\badd\(\s*'([a-z][a-z0-9_]*)'/g)) codes.add(match[1]!);
    for (const match of source.matchAll(/\bcode: '([a-z][a-z0-9_]*)'/g)) codes.add(match[1]!);
  }
  for (const [method, outcomes] of Object.entries(AUTH_SIGNAL_SEVERITY)) for (const result of Object.keys(outcomes)) codes.add(`auth_${method}_${result}`);
  return codes;
}

// ---- a card as Teams would show it: Markdown with links made of addresses and web addresses ------------

const markdown = new MarkdownIt({ linkify: true });
markdown.linkify.set({ fuzzyLink: true, fuzzyEmail: true, fuzzyIP: true });

/**
 * The HTML the Adaptive Cards library produces for every piece of text on the card, with a Markdown
 * processor that links addresses and web addresses the way Teams does (it links even bare domains).
 */
function renderedTextHtml(card: unknown): string[] {
  const previous = AdaptiveCards.AdaptiveCard.onProcessMarkdown;
  AdaptiveCards.AdaptiveCard.onProcessMarkdown = (text: string, result: { didProcess: boolean; outputHtml?: string }) => {
    result.outputHtml = markdown.render(text);
    result.didProcess = true;
  };
  try {
    const parsed = new AdaptiveCards.AdaptiveCard();
    parsed.parse(card, new AdaptiveCards.SerializationContext(AdaptiveCards.Versions.v1_5));
    // What the library kept of the card (unknown parts dropped), text by text as its renderer would show it.
    const texts = allNodes(parsed.toJSON()).flatMap((node) => {
      if (node.type === 'TextBlock' || node.type === 'TextRun') return [String(node.text)];
      if (Array.isArray(node.facts)) return (node.facts as { title: string; value: string }[]).flatMap((fact) => [fact.title, fact.value]);
      return [];
    });
    return texts.map((text) => String(AdaptiveCards.AdaptiveCard.applyMarkdown(text).outputHtml ?? text));
  } finally {
    AdaptiveCards.AdaptiveCard.onProcessMarkdown = previous;
  }
}

const HOSTILE = {
  fromName: 'Harriet Head via https://evil.example/login',
  fromAddress: 'harriet.head@gmail.com',
  subject: 'Urgent [pay here](https://pay.evil.example/x) or write to boss@evil.example, see www.evil.example',
};

/** A reported email's case as reportEmail files it: the reporter's note, nothing of place, time or people. */
function emailCase(): Case {
  const base = caseWithMarkers('new', {
    types: ['suspicious_email'],
    otherType: undefined,
    location: 'unknown',
    occurred: undefined,
    involved: [],
    appsInvolved: [],
    url: undefined,
    evidence: 'The reported email is kept with this case, sealed, for the retention period.',
  });
  return { ...base, source: { kind: 'email', ref: 'security:message-id:<x@evil.example>' } };
}

function hostileAnalysis(): EmailAnalysisSummary {
  return {
    verdict: 'likely_phishing',
    subject: HOSTILE.subject,
    fromName: HOSTILE.fromName,
    fromAddress: HOSTILE.fromAddress,
    signals: [
      { code: 'link_ip_address', severity: 'high', evidence: 'link goes to a bare IP address 203.0.113.45' },
      { code: 'reply_to_freemail', severity: 'medium', evidence: 'replies go to a free-mail account: harriet.head.private@gmail.com' },
      { code: 'link_text_mismatch', severity: 'high', evidence: 'link text shows https://oakfield.sch.uk but goes to http://login-oakfield.example.net/a' },
      { code: 'auth_compauth_fail', severity: 'medium', evidence: 'Microsoft composite authentication (compauth) fail (reason 000), by mail.protection.outlook.com' },
    ],
    attachments: [{ filename: 'invoice.zip', detectedType: 'zip', declaredType: 'application/zip', size: 1234, sha256: 'a'.repeat(64), risky: true }],
  };
}

function detailCard(analysis: EmailAnalysisSummary) {
  return caseDetailCardFor({
    case: emailCase(),
    protocols: [],
    chronology: [],
    canAct: true,
    emails: [{ id: 'email-1', sha256: 'b'.repeat(64), analysis, attachmentsWithheld: false, contentKept: true, receivedAt: '2026-11-23T08:00:00.000Z' } as never],
    names: NAMES as Record<string, string>,
    deliveries: [],
  });
}

describe('the email case speaks the DSL\'s language', () => {
  it('the email case speaks the DSL\'s language: every signal code the analysis can emit has a plain-words label', () => {
    const written = codesWrittenInTheAnalysis();
    // The list the labels are checked against holds every code the sources write.
    expect([...written].filter((code) => !SIGNAL_CODES.includes(code as never))).toEqual([]);
    expect(written.size).toBeGreaterThan(40);
    const missing = SIGNAL_CODES.filter((code) => !EMAIL_SIGNAL_LABELS[code]?.trim());
    expect(missing).toEqual([]);
    // No label for a code the analysis no longer emits.
    expect(Object.keys(EMAIL_SIGNAL_LABELS).filter((code) => !SIGNAL_CODES.includes(code as never))).toEqual([]);
  });

  it('the email case speaks the DSL\'s language: plain words first, the technical name second', () => {
    expect(signalLabel('link_ip_address')).toBe('A link goes to a bare IP address (link ip address)');
    expect(signalLabel('auth_compauth_fail')).toBe('Microsoft’s sender check failed (auth compauth fail)');
    for (const code of SIGNAL_CODES) {
      const label = signalLabel(code);
      expect(label.endsWith(`(${technicalSignalName(code)})`)).toBe(true);
      expect(label.charAt(0)).toMatch(/[A-Z]/);
      // The plain words are not the code again.
      expect(label.toLowerCase().startsWith(technicalSignalName(code))).toBe(false);
    }
    // A code from an analysis stored by an older version still reads as words.
    expect(signalLabel('some_retired_check')).toBe('Some retired check');
  });

  it('the email case speaks the DSL\'s language: the channel card\'s strongest signs are in plain words, without evidence', () => {
    const summary = summariseCase(emailCase(), (id) => NAMES[id], hostileAnalysis());
    expect(summary.email?.topSignals).toEqual([
      'A link goes to a bare IP address (link ip address)',
      'Replies would go to a free email account (reply to freemail)',
      'A link shows one address but goes to another (link text mismatch)',
    ]);
    const card = channelCardFor({ summary, handlers: [], assignable: [], viewerIsAssignee: false, viewerMaySee: true, viewerMayAct: true } as never, { forDsl: true, inChannel: false });
    const text = JSON.stringify(card);
    expect(text).toContain('A link goes to a bare IP address (link ip address)');
    expect(text).not.toContain('203.0.113.45');
  });

  it('the email case speaks the DSL\'s language: the record leaves out where, when and people involved', () => {
    const card = detailCard(hostileAnalysis());
    const facts = allNodes(card).flatMap((node) => (Array.isArray(node.facts) ? (node.facts as { title: string }[]).map((fact) => fact.title) : []));
    expect(facts).toEqual(expect.arrayContaining(['Type', 'Urgency', 'Status']));
    expect(facts).not.toContain('Where');
    expect(facts).not.toContain('When');
    expect(JSON.stringify(card)).not.toContain('People involved');
    expect(JSON.stringify(card)).toContain('A link goes to a bare IP address (link ip address)');
    expect(JSON.stringify(card)).toContain('Strong sign: link goes to a bare IP address 203[.]0[.]113[.]45');
    expect([...libraryProblems(card), ...schemaProblems(card), ...structuralProblems(card)]).toEqual([]);
    // A case that is not an email keeps them.
    const form = caseDetailCardFor({ case: caseWithMarkers('new'), protocols: [], chronology: [], canAct: true, emails: [], names: NAMES as Record<string, string>, deliveries: [] });
    expect(JSON.stringify(form)).toContain('"Where"');
    expect(JSON.stringify(form)).toContain('People involved');
  });

  it('the email case speaks the DSL\'s language: nothing from a reported email becomes a mailto: or web link on the card', () => {
    const html = renderedTextHtml(detailCard(hostileAnalysis())).join('\n');
    // The renderer would link these if they reached it as they were sent.
    expect(renderedTextHtml({ type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock', text: HOSTILE.fromAddress }] }).join('')).toContain('<a ');
    expect(html).not.toMatch(/<a\b/);
    expect(html).not.toMatch(/mailto:|https?:\/\//);
    // Still readable: the sender and the evidence are there, defanged.
    expect(html).toContain('harriet[.]head [at] gmail[.]com');
    expect(html).toContain('203[.]0[.]113[.]45');
    expect(html).toContain('invoice[.]zip');
  });

  it('the email case speaks the DSL\'s language: the sample phishing email, analysed for real, links nothing on the record', () => {
    const raw = readFileSync(join(__dirname, '../../../samples/emails/headteacher-gift-cards.eml'));
    return analyseEmail(raw, { schoolDomains: ['demo-school.test'], staffNames: ['Harriet Head'] }).then((analysis) => {
      const summary: EmailAnalysisSummary = {
        verdict: analysis.verdict,
        signals: analysis.signals,
        attachments: analysis.attachments,
        ...(analysis.message.subject ? { subject: analysis.message.subject } : {}),
        ...(analysis.message.from?.name ? { fromName: analysis.message.from.name } : {}),
        ...(analysis.message.from?.address ? { fromAddress: analysis.message.from.address } : {}),
      };
      expect(summary.fromAddress).toContain('@');
      const html = renderedTextHtml(detailCard(summary)).join('\n');
      expect(html).not.toMatch(/<a\b/);
      expect(html).toContain(defang(summary.fromAddress!));
    });
  });
});

describe('defang', () => {
  it.each([
    ['harriet.head@gmail.com', 'harriet[.]head [at] gmail[.]com'],
    ['https://evil.example/login?x=1', 'hxxps[:]//evil[.]example/login?x=1'],
    ['http://203.0.113.45/a', 'hxxp[:]//203[.]0[.]113[.]45/a'],
    ['ftp://files.evil.example', 'ftp[:]//files[.]evil[.]example'],
    ['mailto:boss@evil.example', 'mailto[:]boss [at] evil[.]example'],
    ['[Click here](https://x.example)', '[Click here] (hxxps[:]//x[.]example)'],
    ['Harriet <h@x.example>', 'Harriet ‹h [at] x[.]example›'],
    ['setup.zip', 'setup[.]zip'],
    ['Hello there. See you soon.', 'Hello there. See you soon.'],
  ])('%s → %s', (input, expected) => {
    expect(defang(input)).toBe(expected);
  });

  it('ms- schemes are defanged, and a long run of them (or of any shape) without spaces takes time in step with its length', async () => {
    expect(defang('ms-settings:display')).toBe('ms-settings[:]display');
    // Growth, not speed: a pattern re-scanned from every position grows with the square of the run, so eight
    // times the text took sixty times as long; in step with its length it takes about eight times.
    for (const unit of ['ms-', 'a.', 'x@', 'http://', 'a-b:', '](']) {
      const textAt = inputsByScale((scale) => unit.repeat(20_000 * scale));
      const defanged = await expectTimeInStepWithSize(`a run of ${unit}`, (scale) => defang(textAt(scale)), { prepare: textAt });
      expect(defanged.length).toBeGreaterThanOrEqual(unit.length * 160_000);
    }
  });

  it('leaves nothing a Markdown renderer with Teams-like linking turns into a link', () => {
    const samples = ['a@b.co', 'www.evil.com', 'evil.com/path', 'https://x.y', '<https://x.y>', '[t](http://x.y)', 'xn--80ak6aa92e.com', '10.0.0.1', 'user@[203.0.113.1]'];
    for (const sample of samples) expect(markdown.render(defang(sample))).not.toMatch(/<a\b/);
  });
});
