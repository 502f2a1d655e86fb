/**
 * The README's map of the code and the tree agree: every path the map names exists, and every
 * source file under src/ (the simulator as one folder) is on the map. A moved or new file that
 * the map does not show fails here.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Names start at most this deep; deeper lines continue a description. */
const NAME_COLUMN_LIMIT = 12;

const mapped = readMap();

describe("the README's map of the code", () => {
  it('names only paths that exist', () => {
    expect(mapped.filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
  });

  it('shows every source file under src/ (the simulator as one folder)', () => {
    const files = listFiles(join(ROOT, 'src'))
      .map((file) => relative(ROOT, file))
      .filter((file) => !file.startsWith('src/simulator/'));
    expect(files.filter((file) => !mapped.includes(file))).toEqual([]);
    expect(mapped).toContain('src/simulator/');
  });
});

/** The paths of the map, folders ending in `/`, from the indentation of each name. */
function readMap(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Map of the code'));
  const start = section.indexOf('```\n') + 4;
  const block = section.slice(start, section.indexOf('\n```', start));
  const folders: string[] = [];
  const paths: string[] = [];
  for (const line of block.split('\n')) {
    const match = /^( *)(\S+)/.exec(line);
    const indent = match?.[1]?.length ?? Number.POSITIVE_INFINITY;
    const name = match?.[2];
    if (name === undefined || indent > NAME_COLUMN_LIMIT) continue;
    const depth = indent / 2;
    folders.length = depth;
    const path = [...folders, name].join('');
    paths.push(path);
    if (name.endsWith('/')) folders.push(name);
  }
  return paths;
}

function listFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    return entry.isDirectory() ? listFiles(path) : [path];
  });
}
