import {
  AUP_INPUTS,
  AUP_SIGN,
  CARD_VERSION,
  DEFAULT_ACKNOWLEDGEMENT_WORDING,
  isCardVerb,
  policySummary,
  renderAupCard,
  renderAupSignedCard,
  type AupCardView,
  type CardJson,
} from '../../../bot/teams/cards/index.ts';
import { allNodes, inputById, inputsOn, libraryProblems, schemaProblems, structuralProblems, textsOn, verbsOn } from './fixtures/card-checks.ts';

const SHA = '3f2a9c1d5e6b7a8f90112233445566778899aabbccddeeff0011223344b7e0c4';
const POLICY_URL = 'https://dsl-desk.example-school.org.uk/aup/policies/pol-1/page?k=abc';

const policy: AupCardView = {
  policyId: 'pol-1',
  title: 'Staff Acceptable Use Policy',
  audience: 'staff',
  version: 3,
  effectiveDate: '2026-09-01',
  sha256: SHA,
  markdown: '# Staff Acceptable Use Policy\n\nThis policy is for **everyone** who works at the school and uses its [systems](https://example.org).\n\n## Keeping pupils safe\n\n- I will report concerns.\n',
  acknowledgementWording: 'I have read and agree to follow this policy',
  policyUrl: POLICY_URL,
};

const signed = { title: 'Staff Acceptable Use Policy', version: 3, sha256: SHA, signedAt: '2026-11-23T08:15:00Z', typedName: 'Sam Teacher', wording: 'I have read and agree to follow this policy', policyUrl: POLICY_URL };

function shapes(): [string, CardJson][] {
  return [
    ['to sign', renderAupCard(policy)],
    ['reminder with a start date', renderAupCard({ ...policy, reminder: { signBefore: '2026-09-03' } })],
    ['reminder without a date', renderAupCard({ ...policy, reminder: {} })],
    [
      'returned with what was typed and messages',
      renderAupCard({ ...policy, notice: 'To sign, tick the box and type your full name.', values: { agreed: false, typedName: 'S' }, errors: { agreed: 'Tick the box.', typedName: 'Type your full name to sign.' } }),
    ],
    ['a newer version replaced the one signed', renderAupCard({ ...policy, policyId: 'pol-2', version: 4, notice: 'A newer version (version 4) has replaced version 3.' })],
    ['signed', renderAupSignedCard(signed)],
  ];
}

describe('the policy card in every shape', () => {
  it.each(shapes())('%s: Adaptive Cards 1.5, read by the library without a problem, within the strict schema, structurally sound', (_name, card) => {
    expect(card.version).toBe(CARD_VERSION);
    expect(libraryProblems(card)).toEqual([]);
    expect(schemaProblems(card)).toEqual([]);
    expect(structuralProblems(card)).toEqual([]);
    expect(JSON.parse(JSON.stringify(card))).toEqual(card);
  });
});

describe('the card to sign', () => {
  const card = renderAupCard(policy);

  it('shows the title, the audience, the version and the date it takes effect', () => {
    const texts = JSON.stringify(card);
    expect(textsOn(card)).toContain('Staff Acceptable Use Policy');
    const facts = allNodes(card).flatMap((node) => (node.type === 'FactSet' ? (node.facts as { title: string; value: string }[]) : []));
    expect(facts).toEqual(
      expect.arrayContaining([
        { title: 'For', value: 'Staff' },
        { title: 'Version', value: '3' },
        { title: 'In force from', value: 'Tuesday, 1 September 2026' },
      ]),
    );
    expect(texts).not.toContain('2026-09-01');
  });

  it('summarises with the first plain paragraph, without markdown marks or headings', () => {
    expect(textsOn(card)).toContain('This policy is for everyone who works at the school and uses its systems.');
    expect(JSON.stringify(card)).not.toContain('Keeping pupils safe');
  });

  it('shows the SHA-256 short, with the full value behind a button', () => {
    const facts = allNodes(card).flatMap((node) => (node.type === 'FactSet' ? (node.facts as { title: string; value: string }[]) : []));
    expect(facts).toContainEqual({ title: 'SHA-256', value: '3f2a9c1d…44b7e0c4' });
    const show = allNodes(card).find((node) => node.type === 'Action.ShowCard');
    expect(show?.title).toBe('Show the full SHA-256');
    expect(textsOn(show?.card)).toContain(SHA);
  });

  it('links to the full policy at the address it was given', () => {
    const open = allNodes(card).filter((node) => node.type === 'Action.OpenUrl');
    expect(open).toEqual([expect.objectContaining({ title: 'Read the full policy', url: POLICY_URL })]);
  });

  it('asks for a required tick with the policy’s own wording and a required typed name', () => {
    expect(inputsOn(card).map((input) => input.id)).toEqual([AUP_INPUTS.agreed, AUP_INPUTS.typedName]);
    expect(inputById(card, AUP_INPUTS.agreed)).toMatchObject({
      type: 'Input.Toggle',
      title: 'I have read and agree to follow this policy',
      valueOn: 'true',
      valueOff: 'false',
      value: 'false',
      isRequired: true,
      errorMessage: expect.stringMatching(/tick/i),
      label: expect.any(String),
    });
    expect(inputById(card, AUP_INPUTS.typedName)).toMatchObject({ type: 'Input.Text', label: 'Type your full name', isRequired: true, errorMessage: 'Type your full name to sign.', value: '' });
  });

  it('uses the school’s wording, or the standard wording when none is set', () => {
    expect(inputById(renderAupCard({ ...policy, acknowledgementWording: 'I agree to the rules for visitors' }), AUP_INPUTS.agreed)?.title).toBe('I agree to the rules for visitors');
    expect(inputById(renderAupCard({ ...policy, acknowledgementWording: '  ' }), AUP_INPUTS.agreed)?.title).toBe(DEFAULT_ACKNOWLEDGEMENT_WORDING);
  });

  it('signs with Action.Execute aup.sign carrying only the policy id, validating the inputs first', () => {
    expect(verbsOn(card)).toEqual([AUP_SIGN]);
    expect(isCardVerb(AUP_SIGN)).toBe(true);
    const sign = allNodes(card).find((node) => node.type === 'Action.Execute');
    expect(sign).toMatchObject({ title: 'Sign', verb: 'aup.sign', data: { policyId: 'pol-1' }, associatedInputs: 'auto', style: 'positive' });
    expect(sign?.fallback).toMatchObject({ type: 'Action.Submit', data: { verb: 'aup.sign', policyId: 'pol-1' } });
  });

  it('carries no reminder and no message unless asked', () => {
    const text = textsOn(card).join(' ');
    expect(text).not.toMatch(/Reminder/);
    expect(allNodes(card).filter((node) => node.color === 'attention')).toEqual([]);
  });
});

describe('the reminder', () => {
  it('starts with "Reminder: please sign before" the start date', () => {
    const card = renderAupCard({ ...policy, reminder: { signBefore: '2026-09-03' } });
    expect(textsOn(card)[0]).toBe('Reminder: please sign before Thursday, 3 September 2026.');
    expect(verbsOn(card)).toEqual([AUP_SIGN]);
  });

  it('still reminds when there is no start date', () => {
    expect(textsOn(renderAupCard({ ...policy, reminder: {} }))[0]).toBe('Reminder: please sign this policy as soon as you can.');
  });
});

describe('the card returned after a refused signature', () => {
  it('keeps what was typed and shows each message under its input', () => {
    const card = renderAupCard({ ...policy, notice: 'To sign, tick the box and type your full name.', values: { agreed: true, typedName: 'S' }, errors: { typedName: 'Type your full name to sign.' } });
    expect(inputById(card, AUP_INPUTS.agreed)?.value).toBe('true');
    expect(inputById(card, AUP_INPUTS.typedName)?.value).toBe('S');
    const body = card.body as Record<string, unknown>[];
    const nameAt = body.findIndex((node) => node.id === AUP_INPUTS.typedName);
    expect(body[nameAt + 1]).toMatchObject({ type: 'TextBlock', color: 'attention', text: 'Type your full name to sign.' });
    expect(textsOn(card)[0]).toBe('To sign, tick the box and type your full name.');
    expect(allNodes(card).filter((node) => node.type === 'TextBlock' && node.color === 'attention').map((node) => node.text)).toEqual([
      'To sign, tick the box and type your full name.',
      'Type your full name to sign.',
    ]);
  });

  it('for a replaced version: the message, then the new version to sign', () => {
    const card = renderAupCard({ ...policy, policyId: 'pol-2', version: 4, sha256: 'ab'.repeat(32), notice: 'A newer version of "Staff Acceptable Use Policy" (version 4) has replaced version 3.' });
    expect(textsOn(card)[0]).toMatch(/version 4\) has replaced version 3/);
    expect(allNodes(card).find((node) => node.type === 'Action.Execute')?.data).toEqual({ policyId: 'pol-2' });
    expect(JSON.stringify(card)).toContain('"value":"4"');
    expect(inputById(card, AUP_INPUTS.typedName)?.value).toBe('');
  });
});

describe('the signed card', () => {
  it('says when (school time) and which version, with the fingerprint, and has nothing to fill in or press', () => {
    const card = renderAupSignedCard(signed);
    expect(textsOn(card)).toContain('Signed on Mon, 23 Nov 2026, 08:15 — version 3');
    expect(inputsOn(card)).toEqual([]);
    expect(verbsOn(card)).toEqual([]);
    expect(JSON.stringify(card)).toContain('3f2a9c1d…44b7e0c4');
    expect(textsOn(allNodes(card).find((node) => node.type === 'Action.ShowCard')?.card)).toContain(SHA);
    expect(allNodes(card).find((node) => node.type === 'Action.OpenUrl')?.url).toBe(POLICY_URL);
  });

  it('shows summer times as the clocks in school show them', () => {
    expect(textsOn(renderAupSignedCard({ ...signed, signedAt: '2026-07-01T07:15:00Z' }))).toContain('Signed on Wed, 1 Jul 2026, 08:15 — version 3');
    expect(textsOn(renderAupSignedCard({ ...signed, signedAt: '2026-07-01T07:15:00Z', timeZone: 'UTC' }))).toContain('Signed on Wed, 1 Jul 2026, 07:15 — version 3');
  });
});

describe('personal data', () => {
  /** Every string a card shows or sends. */
  const strings = (card: unknown) => allNodes(card).flatMap((node) => Object.values(node).filter((value): value is string => typeof value === 'string'));

  it('the card to sign names nobody, and its button sends only the policy id', () => {
    for (const card of [renderAupCard(policy), renderAupCard({ ...policy, reminder: { signBefore: '2026-09-03' } })]) {
      const all = strings(card).join('\n');
      expect(all).not.toMatch(/@|[0-9a-f]{8}-[0-9a-f]{4}-/i);
      expect(all).not.toMatch(/Sam|Teacher\b/);
    }
  });

  it('the signed card holds the signer’s own typed name and nothing else about them', () => {
    const all = strings(renderAupSignedCard(signed)).join('\n');
    expect(all).toContain('Sam Teacher');
    expect(all).not.toMatch(/@|[0-9a-f]{8}-[0-9a-f]{4}-/i);
  });

  it('text the person typed is shown as typed, never evaluated as a binding', () => {
    const card = renderAupCard({ ...policy, values: { typedName: '${policyId} $root' } });
    expect(inputById(card, AUP_INPUTS.typedName)?.value).toBe('${policyId} $root');
  });
});

describe('policySummary', () => {
  it('skips headings, lists, quotes, tables and code, and joins the lines of the paragraph', () => {
    const markdown = ['# Title', '', '> A quote', '', '| a | b |', '|---|---|', '', '```', 'code here', '```', '', 'First line', 'second *line*, with `code` and __bold__.', '', 'Next paragraph.'].join('\n');
    expect(policySummary(markdown)).toBe('First line second line, with code and bold.');
  });

  it('keeps underscores inside words and addresses', () => {
    expect(policySummary('Email it_support@example.org or use snake_case _here_.')).toBe('Email it_support@example.org or use snake_case here.');
  });

  it('cuts a long paragraph at a word, under about 400 characters, with an ellipsis', () => {
    const summary = policySummary(`${'word '.repeat(200)}end`);
    expect(summary.length).toBeLessThanOrEqual(401);
    expect(summary.endsWith('word…')).toBe(true);
  });

  it('is empty for a policy with headings and lists only', () => {
    expect(policySummary('# Title\n\n- one\n- two\n')).toBe('');
    expect(textsOn(renderAupCard({ ...policy, markdown: '# Title\n\n- one\n' })).join(' ')).not.toContain('one');
  });
});
