import PostalMime from 'postal-mime';
import { composeMail } from '../../../src/domain/outgoing-mail.ts';
import { emailRemovalLabel } from '../../../src/domain/mailbox-removal.ts';

describe('messages DSL Desk sends through Gmail', () => {
  test('a notice parses back as written; a line break in a header value cannot add a header', async () => {
    const mime = composeMail({ from: 'dsl-desk@oakfield.example.org', to: ['a@oakfield.example.org', 'b@oakfield.example.org'], subject: 'Reminder: sign “Staff AUP” — Année 2026\r\nBcc: attacker@example.net', body: 'Line one.\n\nLíne two ✓', date: '2026-11-23T09:00:00.000Z' });
    const text = Buffer.from(mime).toString('utf8');
    expect(text).not.toMatch(/^Bcc:/m);
    const parsed = await PostalMime.parse(mime);
    expect(parsed.subject).toBe('Reminder: sign “Staff AUP” — Année 2026 Bcc: attacker@example.net');
    expect(parsed.to?.map((to) => to.address)).toEqual(['a@oakfield.example.org', 'b@oakfield.example.org']);
    expect(parsed.text?.trim()).toBe('Line one.\n\nLíne two ✓');
    expect(parsed.date).toBe('2026-11-23T09:00:00.000Z');
    expect(parsed.attachments).toHaveLength(0);
  });

  test('a forward carries the reported message, byte for byte, as its only attachment', async () => {
    const eml = Buffer.from('From: x@example.net\r\nSubject: Win\r\n\r\n--=_dsl-desk-part\r\nnot a boundary\r\n');
    const parsed = await PostalMime.parse(composeMail({ from: 'dsl-desk@oakfield.example.org', to: ['phish@trust.example.org'], subject: 'Phishing: Win', body: 'Attached.', date: '2026-11-23T09:00:00.000Z', attachment: { name: 'CASE-1-reported-email.eml', eml } }));
    expect(parsed.text?.trim()).toBe('Attached.');
    expect(parsed.attachments).toHaveLength(1);
    expect(parsed.attachments[0]).toMatchObject({ filename: 'CASE-1-reported-email.eml', mimeType: 'message/rfc822' });
    expect(Buffer.from(parsed.attachments[0]!.content as ArrayBuffer).equals(eml)).toBe(true);
  });
});

describe('the removal line on a case card', () => {
  const counts = { mailboxesSearched: 117, mailboxesFailed: 3, found: 3, moved: 3, failed: 0 };
  test('running, finished and refused, for Gmail and Outlook', () => {
    expect(emailRemovalLabel({ state: 'running', provider: 'gmail', mailboxesTotal: 300, ...counts })).toBe('Removing from every mailbox: 120 of 300 searched, 3 moved to the Bin; 3 mailboxes could not be opened');
    expect(emailRemovalLabel({ state: 'finished', provider: 'gmail', mailboxesTotal: 300, ...counts, mailboxesSearched: 300, mailboxesFailed: 0 })).toBe('Removed from every mailbox: 3 copies moved to the Bin (300 searched)');
    expect(emailRemovalLabel({ state: 'finished', provider: 'graph', mailboxesTotal: 40, ...counts, mailboxesSearched: 40, mailboxesFailed: 0, found: 2, moved: 1, failed: 1 })).toBe('Removed from every mailbox: 1 copy moved to Deleted Items (40 searched); 1 copy could not be moved');
    expect(emailRemovalLabel({ state: 'refused', provider: 'gmail', mailboxesTotal: null, ...counts })).toContain('IT must authorise it');
  });
});
