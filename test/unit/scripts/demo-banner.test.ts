import { bannerSentences } from '../../../scripts/demo-banner.ts';
import { cardText } from '../../../scripts/playground/playground-api.ts';
import { renderChannelSetupCard } from '../../../bot/teams/cards/simple-cards.ts';

describe('messages use the names people typed', () => {
  test('messages use the names people typed: the demo banner keeps the channel set-up answer’s sentences apart', () => {
    const card = renderChannelSetupCard({ ok: true, message: 'Done. New cases will be posted in this channel, with no names or details on the card. Use "Open case" to see a case.' });
    const banner = bannerSentences(['', cardText(card)].join('\n'));
    expect(banner).toContain('This channel now receives cases. Done. New cases will be posted');
    expect(banner).not.toMatch(/[a-z] [A-Z][a-z]+\. New cases/);
    expect(banner).toMatch(/Use "Open case" to see a case\.$/);
  });

  test('messages use the names people typed: a long answer is cut after a whole sentence, never mid-word', () => {
    const text = 'First heading\nA sentence that is fairly long and goes on. Another one follows it here.\nThird line without a stop';
    expect(bannerSentences(text, 30)).toBe('First heading.');
    expect(bannerSentences(text, 200)).toBe('First heading. A sentence that is fairly long and goes on. Another one follows it here. Third line without a stop.');
    expect(bannerSentences('x'.repeat(50), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});
