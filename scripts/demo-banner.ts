/**
 * A bot's answer as it reads in the demo's banner: each line of the message and of its card (a heading,
 * then a paragraph) becomes a sentence of its own, ending in a full stop when it had no punctuation, so
 * "This channel now receives cases" and "Done. New cases …" do not run together. Long answers are cut at
 * the end of the last whole sentence that fits.
 */
export function bannerSentences(text: string, maxChars = 200): string {
  const sentences = text
    .split(/\r?\n/)
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter((line) => line.length > 0)
    .map((line) => (/[.!?:…]["”’)]?$/.test(line) ? line : `${line}.`));
  let out = '';
  for (const sentence of sentences) {
    const next = out ? `${out} ${sentence}` : sentence;
    if (next.length > maxChars) {
      if (!out) return `${sentence.slice(0, maxChars - 1).trimEnd()}…`;
      break;
    }
    out = next;
  }
  return out;
}
