import MarkdownIt from 'markdown-it';
import type { AupAcknowledgement, AupPolicyVersion } from '../domain/aup.ts';
import type { FieldIssue } from '../domain/errors.ts';
import { DEFAULT_TIME_ZONE } from '../domain/time-zone.ts';

/**
 * The HTML of the policy and signing pages: plain server-rendered pages that work without JavaScript, in
 * the GOV.UK style people in UK schools know (error summary first, messages beside the fields, visible
 * labels). Everything from the database or the request is escaped; policy markdown is rendered with raw
 * HTML turned off.
 */

export const AUP_ASSET_PATHS = {
  css: '/aup/assets/aup.css',
  errorSummary: '/aup/assets/error-summary.js',
  policyPage: '/aup/assets/policy-page.js',
  teamsJs: '/aup/assets/teams-js.js',
} as const;

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);
}

const markdown = new MarkdownIt({ html: false, linkify: true, typographer: false });
// The page's own title is the h1, so the policy's headings move one level down to keep the outline whole.
markdown.core.ruler.push('demote_headings', (state) => {
  for (const token of state.tokens) {
    if (token.type === 'heading_open' || token.type === 'heading_close') token.tag = `h${Math.min(6, Number(token.tag.slice(1)) + 1)}`;
  }
});
// Pictures would have to come from elsewhere, which the pages' policy forbids: the alt text stays as text.
markdown.disable('image');

/** The policy text as accessible HTML: headings, lists, tables, links; no raw HTML passes through. */
export function renderPolicyMarkdown(text: string): string {
  return markdown.render(text);
}

const schoolTimes = new Map<string, Intl.DateTimeFormat>();
const CALENDAR_DATE = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'long', year: 'numeric' });

/** A moment as the school reads it, in its own zone: "6 December 2026 at 15:04 GMT". */
export function schoolDateTime(iso: string, timeZone: string = DEFAULT_TIME_ZONE): string {
  let format = schoolTimes.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone, day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });
    schoolTimes.set(timeZone, format);
  }
  return format.format(new Date(iso));
}

/** A calendar date ("2026-09-01") as "1 September 2026". */
export function longDate(isoDate: string): string {
  return CALENDAR_DATE.format(new Date(`${isoDate}T00:00:00Z`));
}

interface LayoutOptions {
  title: string;
  schoolName?: string;
  main: string;
  scripts?: string[];
}

function layout(options: LayoutOptions): string {
  const scripts = (options.scripts ?? []).map((src) => `<script src="${src}" defer></script>`).join('');
  return `<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(options.title)}</title>
<link rel="stylesheet" href="${AUP_ASSET_PATHS.css}">
${scripts}
</head>
<body>
<a class="skip-link" href="#main">Skip to main content</a>
<header class="site-header"><div class="width-container"><p class="site-name">${options.schoolName ? escapeHtml(options.schoolName) : 'DSL Desk'}</p></div></header>
<div class="width-container">
<main id="main" tabindex="-1">
${options.main}
</main>
</div>
<footer class="site-footer"><div class="width-container"><p>Acceptable use policies kept by DSL Desk. <a href="/privacy">Privacy notice</a></p></div></footer>
</body>
</html>`;
}

/** Title, version, fingerprint and date: what identifies the exact text being read. */
function policyFacts(policy: AupPolicyVersion): string {
  return `<dl class="policy-facts">
<div><dt>Version</dt><dd>${policy.version}</dd></div>
<div><dt>Takes effect</dt><dd>${escapeHtml(longDate(policy.effectiveDate))}</dd></div>
<div><dt>Text fingerprint (SHA-256)</dt><dd><code class="fingerprint">${escapeHtml(policy.sha256)}</code>
<p class="hint">This code identifies the exact text of this version. Your signature records it, so anyone can check later which words were agreed to.</p></dd></div>
</dl>`;
}

function policyText(policy: AupPolicyVersion): string {
  return `<section class="policy-text" aria-label="Policy text">
${renderPolicyMarkdown(policy.markdown)}
</section>`;
}

/** The form's fields, as the person typed them. */
export interface SigningFormValues {
  agreed: boolean;
  typedName: string;
  typedEmail: string;
}

export interface SigningPageOptions {
  schoolName: string;
  policy: AupPolicyVersion;
  values?: SigningFormValues;
  /** Problems with what was typed, by field (agreed, typedName, typedEmail). */
  fields?: FieldIssue[];
  /** A problem that is not one field's, such as a newer version having replaced the one read. */
  notice?: string;
}

const FIELD_IDS = ['agreed', 'typedName', 'typedEmail'] as const;

function firstIssueFor(fields: FieldIssue[], id: string): string | undefined {
  return fields.find((issue) => issue.path === id)?.message;
}

function errorSummary(items: { message: string; href?: string }[]): string {
  if (!items.length) return '';
  // Focused on load (autofocus, and the page script), so a screen reader hears the problems first.
  return `<div class="error-summary" tabindex="-1" autofocus data-error-summary>
<div role="alert">
<h2 class="error-summary-title">There is a problem</h2>
<ul class="error-summary-list">
${items.map((item) => `<li>${item.href ? `<a href="${item.href}">${escapeHtml(item.message)}</a>` : escapeHtml(item.message)}</li>`).join('\n')}
</ul>
</div>
</div>`;
}

function errorMessage(id: string, message: string | undefined): string {
  return message ? `<p class="error-message" id="${id}-error"><span class="visually-hidden">Error:</span> ${escapeHtml(message)}</p>` : '';
}

function describedBy(...ids: (string | false | undefined)[]): string {
  const present = ids.filter(Boolean);
  return present.length ? ` aria-describedby="${present.join(' ')}"` : '';
}

/** The signing page: the policy, then the tick, the name and the email. */
export function signingPage(options: SigningPageOptions): string {
  const { policy } = options;
  const values = options.values ?? { agreed: false, typedName: '', typedEmail: '' };
  const fields = options.fields ?? [];
  const messages = Object.fromEntries(FIELD_IDS.map((id) => [id, firstIssueFor(fields, id)])) as Record<(typeof FIELD_IDS)[number], string | undefined>;
  const summary = [
    ...(options.notice ? [{ message: options.notice }] : []),
    ...FIELD_IDS.filter((id) => messages[id]).map((id) => ({ message: messages[id]!, href: `#${id}` })),
    ...fields.filter((issue) => !(FIELD_IDS as readonly string[]).includes(issue.path)).map((issue) => ({ message: issue.message })),
  ];
  const group = (id: string) => `form-group${messages[id as (typeof FIELD_IDS)[number]] ? ' form-group-error' : ''}`;
  const invalid = (id: (typeof FIELD_IDS)[number]) => (messages[id] ? ' aria-invalid="true"' : '');
  const main = `${errorSummary(summary)}
<h1>${escapeHtml(policy.title)}</h1>
${policyFacts(policy)}
${policyText(policy)}
<form method="post" class="sign-form" novalidate>
<input type="hidden" name="policyId" value="${escapeHtml(policy.id)}">
<h2>Sign this policy</h2>
<p>Read the policy above, then tick the box and type your name and email address. Each signing link works once.</p>
<div class="${group('agreed')}">
${errorMessage('agreed', messages.agreed)}
<div class="checkbox">
<input class="checkbox-input" type="checkbox" id="agreed" name="agreed" value="yes" required${values.agreed ? ' checked' : ''}${invalid('agreed')}${describedBy(messages.agreed && 'agreed-error')}>
<label class="checkbox-label" for="agreed">${escapeHtml(policy.acknowledgementWording)}</label>
</div>
</div>
<div class="${group('typedName')}">
<label class="label" for="typedName">Your full name</label>
${errorMessage('typedName', messages.typedName)}
<input class="input" type="text" id="typedName" name="typedName" autocomplete="name" spellcheck="false" maxlength="200" required value="${escapeHtml(values.typedName)}"${invalid('typedName')}${describedBy(messages.typedName && 'typedName-error')}>
</div>
<div class="${group('typedEmail')}">
<label class="label" for="typedEmail">Your email address</label>
<p class="hint" id="typedEmail-hint">The school keeps it with your signature, to contact you about this policy.</p>
${errorMessage('typedEmail', messages.typedEmail)}
<input class="input" type="email" id="typedEmail" name="typedEmail" autocomplete="email" spellcheck="false" maxlength="320" required value="${escapeHtml(values.typedEmail)}"${invalid('typedEmail')}${describedBy('typedEmail-hint', messages.typedEmail && 'typedEmail-error')}>
</div>
<button type="submit" class="button">Sign</button>
</form>`;
  return layout({ title: `${summary.length ? 'Error: ' : ''}Sign: ${policy.title} – ${options.schoolName}`, schoolName: options.schoolName, main, scripts: [AUP_ASSET_PATHS.errorSummary] });
}

/** What the person sees once their signature is recorded. */
export function signedPage(options: { schoolName: string; schoolTimeZone?: string; policy: AupPolicyVersion; acknowledgement: AupAcknowledgement }): string {
  const { policy, acknowledgement } = options;
  const main = `<div class="panel">
<h1>You have signed</h1>
<p class="panel-body">Signed on ${escapeHtml(schoolDateTime(acknowledgement.signedAt, options.schoolTimeZone))} — version ${acknowledgement.policyVersion}</p>
</div>
<dl class="policy-facts">
<div><dt>Policy</dt><dd>${escapeHtml(policy.title)}</dd></div>
<div><dt>School</dt><dd>${escapeHtml(options.schoolName)}</dd></div>
<div><dt>Name</dt><dd>${escapeHtml(acknowledgement.typedName)}</dd></div>
${acknowledgement.typedEmail ? `<div><dt>Email address</dt><dd>${escapeHtml(acknowledgement.typedEmail)}</dd></div>` : ''}
<div><dt>Text fingerprint (SHA-256)</dt><dd><code class="fingerprint">${escapeHtml(acknowledgement.sha256)}</code>
<p class="hint">This code identifies the exact text you agreed to.</p></dd></div>
<div><dt>Signature reference</dt><dd><code>${escapeHtml(acknowledgement.id)}</code></dd></div>
</dl>
<p>The school keeps the record of your signature. Ask the school office if you need a copy of it. You can now close this page.</p>`;
  return layout({ title: `Signed: ${policy.title} – ${options.schoolName}`, schoolName: options.schoolName, main });
}

/**
 * Signing from the policy page inside Teams, where Teams SSO can say who is reading: all hidden until
 * policy-page.js has a token and has asked whether the person has signed. The API needs that token, so
 * without the script there is nothing these controls could post: they stay hidden and the page stays
 * read-only, and the <form> itself is only made by the script once it can sign.
 */
function teamsSigning(policy: AupPolicyVersion): { top: string; bottom: string } {
  const top = `<div class="panel" id="teams-signed" tabindex="-1" data-teams-signed hidden>
<h2 class="panel-title">You have signed</h2>
<p class="panel-body" data-teams-signed-text></p>
</div>
<div class="certificate" data-teams-certificate hidden>
<p><a data-teams-certificate-link>Download your certificate (PDF)</a></p>
<p class="error-message" role="alert" data-teams-certificate-error hidden>Your certificate could not be downloaded. Try again, or ask the school office for a copy.</p>
</div>`;
  const fieldError = (id: string) => `<p class="error-message" id="${id}-error" hidden><span class="visually-hidden">Error:</span> <span data-error-text></span></p>`;
  const bottom = `<p class="hint" data-teams-note hidden>Sign from the card in your chat with DSL Desk.</p>
<div data-teams-sign data-policy-id="${escapeHtml(policy.id)}" hidden>
<h2>Sign this policy</h2>
<p>Read the policy above, then tick the box and type your full name.</p>
<div class="form-group" data-field="agreed">
${fieldError('agreed')}
<div class="checkbox">
<input class="checkbox-input" type="checkbox" id="agreed" name="agreed" value="yes" required>
<label class="checkbox-label" for="agreed">${escapeHtml(policy.acknowledgementWording)}</label>
</div>
</div>
<div class="form-group" data-field="typedName">
<label class="label" for="typedName">Your full name</label>
${fieldError('typedName')}
<input class="input" type="text" id="typedName" name="typedName" autocomplete="name" spellcheck="false" maxlength="200" required>
</div>
<button type="submit" class="button">Sign</button>
</div>`;
  return { top, bottom };
}

/** The read-only page behind "Read the full policy", in a browser or inside Teams (where it can also sign, see teamsSigning). */
export function policyPage(options: { schoolName: string; policy: AupPolicyVersion; newer?: { version: number; title: string } }): string {
  const { policy, newer } = options;
  const signing = teamsSigning(policy);
  const main = `<div class="error-summary" tabindex="-1" data-error-summary hidden>
<div role="alert">
<h2 class="error-summary-title">There is a problem</h2>
<ul class="error-summary-list"></ul>
</div>
</div>
<h1>${escapeHtml(policy.title)}</h1>
${newer ? `<div class="notice"><p><strong>Version ${newer.version} has replaced this version.</strong> Open the latest message about “${escapeHtml(newer.title)}” to read and sign it.</p></div>` : ''}
${signing.top}
${policyFacts(policy)}
${policyText(policy)}
${signing.bottom}`;
  return layout({ title: `${policy.title} – ${options.schoolName}`, schoolName: options.schoolName, main, scripts: [AUP_ASSET_PATHS.errorSummary, AUP_ASSET_PATHS.teamsJs, AUP_ASSET_PATHS.policyPage] });
}

/** A page that explains why a link cannot be used and what to do instead. */
export function problemPage(options: { heading: string; message: string; schoolName?: string }): string {
  const main = `<h1>${escapeHtml(options.heading)}</h1>
<p>${escapeHtml(options.message)}</p>`;
  return layout({ title: `${options.heading} – DSL Desk`, ...(options.schoolName ? { schoolName: options.schoolName } : {}), main });
}
