/**
 * What a reported email's signals are called on a card: plain words a DSL can act on first, the analysis's
 * own (technical) name second, e.g. "A link goes to a bare IP address (link ip address)". Every code the
 * analysis can emit (src/analysis/signal-codes.ts) has a label here; the unit tests check that.
 */
export const EMAIL_SIGNAL_LABELS: Readonly<Record<string, string>> = {
  // sender and authentication
  auth_results_missing: 'The school’s mail service left no authentication check on it',
  spoofed_sender_domain: 'Pretends to come from a domain it was not sent from',
  reply_to_mismatch: 'Replies would go to a different organisation from the sender',
  reply_to_freemail: 'Replies would go to a free email account',
  return_path_mismatch: 'Bounced mail goes to a different domain from the sender',
  sender_saas_host: 'Sent from a platform account anyone can open',
  from_freemail: 'Sent from a free email account',
  impersonates_staff: 'The sender’s name imitates a member of staff',
  impersonates_school: 'The sender’s name imitates the school',
  impersonates_role: 'The sender’s name imitates a school role',
  impersonates_brand: 'The sender’s name imitates a well-known organisation',
  display_name_address: 'The sender’s name shows a different address from the real one',
  lookalike_domain: 'A web or email domain imitates a trusted one',
  // Unicode tricks
  mixed_scripts: 'Letters from different alphabets mixed to look like familiar words',
  invisible_characters: 'Hidden characters in a name or file name',
  combining_marks: 'Accents stacked on letters to disguise a name',
  // links
  link_ip_address: 'A link goes to a bare IP address',
  link_punycode: 'A link’s address is disguised with foreign characters',
  link_shortener: 'A link hides where it goes behind a link shortener',
  link_saas_host: 'A link goes to a site anyone can publish on',
  link_ipfs_gateway: 'A link goes to web3 (IPFS) hosting, a common phishing host',
  link_form_host: 'A link to an online form or shared file, from outside the school',
  link_text_mismatch: 'A link shows one address but goes to another',
  // what it asks for
  request_gift_cards: 'Asks for gift cards',
  request_bank_change: 'Asks to change bank or payment details',
  urgent_request: 'Presses for a quick, private favour',
  // the school's own phishing simulation
  phishing_simulation: 'Marked as the school’s own practice phishing email',
  simulation_unverified: 'Claims to be a practice phishing email but failed the checks',
  // attachments
  attachment_executable: 'An attachment is a program or script',
  attachment_html: 'An attachment is a web page (often a fake sign-in page)',
  attachment_disk_image: 'An attachment is a disk image that can hide programs',
  attachment_macro_document: 'An attachment is an Office document with macros',
  attachment_shortcut: 'An attachment is a shortcut that can start a program',
  attachment_profile: 'An attachment is a device settings profile',
  attachment_onenote: 'An attachment is a OneNote file (used to hide programs)',
  attachment_calendar_invite: 'An attachment is a calendar invitation',
  attachment_archive: 'An attachment is a compressed archive',
  attachment_encrypted_archive: 'An attachment is a password-protected archive that could not be checked',
  attachment_pdf_active_content: 'An attachment is a PDF with active content',
  attachment_rtf_object: 'An attachment is a document with an embedded object',
  attachment_type_mismatch: 'An attachment is not the kind of file its name says',
  many_attachments: 'Very many attachments',
  // limits of the analysis
  oversized_field: 'A very long name or subject: only the start was checked',
  body_truncated: 'A very long message: only the start was checked for links',
  analysis_incomplete: 'The automatic check could not finish: check it by hand',
  // authentication results (the school's mail service's own checks)
  auth_dmarc_fail: 'The sender’s domain says it did not send this (DMARC failed)',
  auth_dmarc_none: 'The sender’s domain publishes no anti-spoofing policy',
  auth_dmarc_permerror: 'The sender’s anti-spoofing policy is broken',
  auth_dmarc_temperror: 'The sender’s anti-spoofing policy could not be checked just then',
  auth_compauth_fail: 'Microsoft’s sender check failed',
  auth_compauth_softfail: 'Microsoft’s sender check was doubtful',
  auth_compauth_none: 'Microsoft could not check the sender',
  auth_spf_fail: 'Sent from a server the sender’s domain does not allow',
  auth_spf_softfail: 'Sent from a server the sender’s domain does not expect',
  auth_spf_none: 'The sender’s domain lists no servers allowed to send for it',
  auth_spf_permerror: 'The sender’s list of allowed servers is broken',
  auth_spf_temperror: 'The sender’s allowed servers could not be checked just then',
  auth_dkim_fail: 'The message’s signature does not match: it may have been changed',
  auth_dkim_none: 'The message is not signed by its sender',
  auth_dkim_permerror: 'The message’s signature is broken',
  auth_dkim_temperror: 'The message’s signature could not be checked just then',
  auth_arc_fail: 'A forwarding server’s checks did not hold',
};

/** How strongly a signal points to phishing, in words, for the card line under each signal. */
export const SIGNAL_SEVERITY_LABELS: Readonly<Record<'high' | 'medium' | 'low' | 'info', string>> = {
  high: 'Strong sign',
  medium: 'Warning sign',
  low: 'Weak sign',
  info: 'For information',
};

/** The analysis's own name for a signal, in words: "link_ip_address" → "link ip address". */
export function technicalSignalName(code: string): string {
  return code.replace(/[_.-]+/g, ' ').trim();
}

/**
 * A signal as a card shows it: "A link goes to a bare IP address (link ip address)". A code with no plain
 * label (an analysis stored by an older version) is shown by its technical name alone, capitalised.
 */
export function signalLabel(code: string): string {
  const technical = technicalSignalName(code);
  const plain = Object.hasOwn(EMAIL_SIGNAL_LABELS, code) ? EMAIL_SIGNAL_LABELS[code] : undefined;
  if (plain) return `${plain} (${technical})`;
  return technical.charAt(0).toUpperCase() + technical.slice(1);
}
