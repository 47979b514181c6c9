/** The reporter's bearer token: the first line of report.token_file, else report.token. */
import { readFileSync } from 'node:fs';
import { OutriderError } from '../core/errors';

export function readToken(file: string, inline: string): string | undefined {
  if (file) {
    try {
      const t = readFileSync(file, 'utf8').split('\n')[0]!.trim();
      if (t) return t;
    } catch (err) {
      throw new OutriderError('OUTRIDER_ERR_REPORT_TOKEN_FILE', `cannot read report.token_file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return inline || undefined;
}
