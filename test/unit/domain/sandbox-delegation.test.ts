import { GMAIL_MODIFY_SCOPE, GMAIL_SEND_SCOPE, parseSandboxDelegatedToken, sandboxDelegatedToken } from '../../../src/domain/google-workspace.ts';
import { caseCardIsCurrent } from '../../../src/app/cases/prepare-case-card.ts';

describe('the sandbox\'s stand-in for domain-wide delegation', () => {
  test('a token names its mailbox (lower case) and scopes (URLs, colons and all), and reads back the same', () => {
    const token = sandboxDelegatedToken(' Tom.Teacher@Oakfield.example.org', [GMAIL_SEND_SCOPE, GMAIL_MODIFY_SCOPE]);
    expect(parseSandboxDelegatedToken(token)).toEqual({ subject: 'tom.teacher@oakfield.example.org', scopes: [GMAIL_MODIFY_SCOPE, GMAIL_SEND_SCOPE] });
  });

  test('any other token is not one', () => {
    for (const token of ['ya29.a0AfH6SM', 'dsl-desk-sandbox-chat-token', 'dsl-desk-sandbox-delegation:nobody:scope', 'other:tom@oakfield.example.org:scope', `${sandboxDelegatedToken('tom@oakfield.example.org', [GMAIL_MODIFY_SCOPE])} extra`]) {
      expect(parseSandboxDelegatedToken(token)).toBeUndefined();
    }
  });
});

describe('whether a posted case card shows the latest', () => {
  const card = { renderedVersion: 3, updatedAt: '2026-11-23T09:00:05.000Z' };
  test('a newer case version needs an edit', () => {
    expect(caseCardIsCurrent(card, { summary: { version: 4 } as never })).toBe(false);
    expect(caseCardIsCurrent(card, { summary: { version: 3 } as never })).toBe(true);
  });
  test('removal progress saved after the card was written needs an edit, though the case version is the same', () => {
    expect(caseCardIsCurrent(card, { summary: { version: 3 } as never, emailRemovalChangedAt: '2026-11-23T09:00:06.000Z' })).toBe(false);
    expect(caseCardIsCurrent(card, { summary: { version: 3 } as never, emailRemovalChangedAt: '2026-11-23T09:00:04.000Z' })).toBe(true);
  });
});
