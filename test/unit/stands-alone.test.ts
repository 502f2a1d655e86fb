/**
 * The repository stands alone: no tracked file points outside it (the notes it was built from
 * live in docs/), and none names a directory of the machine it was written on.
 */

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Spelled in pieces, so this file does not match itself.
const OUTSIDE = [`..${'/'}shared`, `/${'work'}/`, `/${'home'}/`, `/${'Users'}/`, `/${'root'}/`];

describe('the repository', () => {
  it('refers to nothing outside itself and to no path of the machine it was written on', () => {
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
      .split('\0')
      .filter((file) => file !== '' && !/\.(png|ico|lock)$|package-lock\.json$/.test(file));
    const found: string[] = [];
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(join(ROOT, file), 'utf8');
      } catch {
        continue; // listed by git but deleted in the working tree
      }
      for (const needle of OUTSIDE) if (text.includes(needle)) found.push(`${file}: ${needle}`);
    }
    expect(found).toEqual([]);
  });
});
