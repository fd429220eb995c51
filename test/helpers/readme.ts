/** Reads a fenced code block out of README.md by its marker, so the README's snippets are the tested ones. */
import { readFileSync } from 'node:fs';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The code block fenced as ```LANG right after `<!-- snippet: NAME -->`. */
export function readmeBlock(lang: string, name: string): string {
  const re = new RegExp(`<!-- snippet: ${name} -->\\s*\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``);
  const m = re.exec(README);
  if (!m) throw new Error(`README.md has no ${lang} block after <!-- snippet: ${name} -->`);
  return m[1]!;
}
