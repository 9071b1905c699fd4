import { canonicalPolicyText } from './aup.ts';
import { trimTrailing } from './text.ts';

/** What a policy card shows of the policy: its opening, short enough for a chat card on any platform. */
const SUMMARY_MAX_CHARS = 400;

/**
 * The policy's first plain paragraph: headings, lists, tables, quotes and code are skipped, markdown
 * marks are removed (the card would render some of them), and the result is cut at a word near 400 characters.
 */
export function policySummary(markdown: string): string {
  const blocks = canonicalPolicyText(markdown).split(/\n{2,}/);
  let inFence = false;
  for (const block of blocks) {
    const lines: string[] = [];
    for (const line of block.split('\n')) {
      if (/^\s*(```|~~~)/.test(line)) {
        inFence = !inFence;
        continue;
      }
      if (inFence || /^\s*(#{1,6}\s|[-*+]\s|\d+[.)]\s|>|\||<!--|---+\s*$|===+\s*$|\*\*\*+\s*$)/.test(line)) continue;
      lines.push(line.trim());
    }
    // Only the start of the first paragraph is shown: markup is read from a bounded piece of it.
    const text = plainText(lines.join(' ').slice(0, SUMMARY_MAX_CHARS * 8));
    if (text.length > 0) return cut(text, SUMMARY_MAX_CHARS);
  }
  return '';
}

function plainText(line: string): string {
  return line
    .replace(/!\[[^[\]]*\]\([^()]*\)/g, '')
    .replace(/\[([^[\]]*)\]\([^()]*\)/g, '$1')
    .replace(/<[^<>]+>/g, '')
    .replace(/(\*\*|__|~~)(.+?)\1/g, '$2')
    .replace(/\*(\S(?:.*?\S)?)\*/g, '$1')
    .replace(/(^|[^\w])_(\S(?:.*?\S)?)_(?!\w)/g, '$1$2')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max);
  const atWord = head.lastIndexOf(' ');
  return `${trimTrailing(atWord > max * 0.6 ? head.slice(0, atWord) : head, ',;:.–—-', true)}…`;
}
