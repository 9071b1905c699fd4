
/**
 * Every signal code the analysis can emit, in one list: SignalList.add takes only these, so a new check
 * cannot add a code without naming it here, and the cards' plain-words labels (src/domain/email-signals.ts)
 * are tested against this list.
 */

export type Severity = 'high' | 'medium' | 'low' | 'info';

/** How much each Authentication-Results outcome weighs; an outcome not listed (pass, neutral…) adds no signal. */
export const AUTH_SIGNAL_SEVERITY = {
  dmarc: { fail: 'medium', none: 'low', permerror: 'low', temperror: 'info' },
  compauth: { fail: 'medium', softfail: 'low', none: 'low' },
  spf: { fail: 'medium', softfail: 'low', none: 'low', permerror: 'low', temperror: 'info' },
  dkim: { fail: 'low', none: 'info', permerror: 'low', temperror: 'info' },
  arc: { fail: 'low' },
} as const satisfies Record<string, Partial<Record<string, Severity>>>;

export type AuthMethod = keyof typeof AUTH_SIGNAL_SEVERITY;
export type AuthSignalCode = { [M in AuthMethod]: `auth_${M}_${keyof (typeof AUTH_SIGNAL_SEVERITY)[M] & string}` }[AuthMethod];

export const AUTH_SIGNAL_CODES = (Object.keys(AUTH_SIGNAL_SEVERITY) as AuthMethod[]).flatMap((method) =>
  Object.keys(AUTH_SIGNAL_SEVERITY[method]).map((result) => `auth_${method}_${result}` as AuthSignalCode),
);

/** The severity of an authentication outcome and its code, or undefined when that outcome is no signal. */
export function authSignal(method: AuthMethod, result: string): { code: AuthSignalCode; severity: Severity } | undefined {
  const severity = (AUTH_SIGNAL_SEVERITY[method] as Partial<Record<string, Severity>>)[result];
  return severity ? { code: `auth_${method}_${result}` as AuthSignalCode, severity } : undefined;
}

export const FIXED_SIGNAL_CODES = [
  // sender and authentication
  'auth_results_missing',
  'spoofed_sender_domain',
  'reply_to_mismatch',
  'reply_to_freemail',
  'return_path_mismatch',
  'sender_saas_host',
  'from_freemail',
  'impersonates_staff',
  'impersonates_school',
  'impersonates_role',
  'impersonates_brand',
  'display_name_address',
  'lookalike_domain',
  // Unicode tricks (names, subjects, domains, links, file names)
  'mixed_scripts',
  'invisible_characters',
  'combining_marks',
  // links
  'link_ip_address',
  'link_punycode',
  'link_shortener',
  'link_saas_host',
  'link_ipfs_gateway',
  'link_form_host',
  'link_text_mismatch',
  // what the message asks for
  'request_gift_cards',
  'request_bank_change',
  'urgent_request',
  // the school's own phishing simulation
  'phishing_simulation',
  'simulation_unverified',
  // attachments
  'attachment_executable',
  'attachment_html',
  'attachment_disk_image',
  'attachment_macro_document',
  'attachment_shortcut',
  'attachment_profile',
  'attachment_onenote',
  'attachment_calendar_invite',
  'attachment_archive',
  'attachment_encrypted_archive',
  'attachment_pdf_active_content',
  'attachment_rtf_object',
  'attachment_type_mismatch',
  'many_attachments',
  // limits of the analysis
  'oversized_field',
  'body_truncated',
  'analysis_incomplete',
] as const;

export type SignalCode = (typeof FIXED_SIGNAL_CODES)[number] | AuthSignalCode;

/** Every code the analysis can emit. */
export const SIGNAL_CODES: readonly SignalCode[] = [...FIXED_SIGNAL_CODES, ...AUTH_SIGNAL_CODES];
