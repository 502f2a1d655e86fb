/**
 * The command line of `npm run compose` (scripts/compose-supergraph.ts), parsed without side
 * effects: a mistyped argument is refused before any subgraph is fetched or any file written,
 * rather than silently dropped or taken for a subgraph.
 */

export const COMPOSE_USAGE = `Usage: npm run compose -- [<name>=<url>[=<file.graphql>]]... [--out <file>]

Composes this subgraph with others into a Federation v2 supergraph SDL.

  <name>=<url>                 a subgraph; its SDL is read from <url> ({ _service { sdl } })
  <name>=<url>=<file.graphql>  a subgraph whose SDL is read from <file.graphql>
  --out <file>                 where to write the supergraph (default: supergraph.graphql)
  -h, --help                   print this and exit

Without a webhooks=<url> argument, this subgraph is included as webhooks at
http://127.0.0.1:4000/graphql, its SDL from schema/schema.graphql. Relative paths are from
the current directory (under npm run, the project's root).
`;

export const DEFAULT_OUT = 'supergraph.graphql';

export interface SubgraphSpec {
  name: string;
  url: string;
  /** Where the SDL is read from instead of `url`; the URL is then only recorded. */
  sdlFile: string | undefined;
}

export type ComposeArgs =
  | { kind: 'compose'; out: string; subgraphs: SubgraphSpec[] }
  | { kind: 'help' }
  | { kind: 'usage-error'; message: string };

export function parseComposeArgs(args: readonly string[]): ComposeArgs {
  // Help wins over any mistake next to it: whoever asks for it wants to learn the syntax.
  if (args.some((arg) => arg === '--help' || arg === '-h')) return { kind: 'help' };

  let out: string | undefined;
  const subgraphs: SubgraphSpec[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? '';
    if (arg === '--out' || arg.startsWith('--out=')) {
      const inline = arg === '--out' ? undefined : arg.slice('--out='.length);
      const value = inline ?? args[++index];
      // A value that looks like an option is a forgotten file name (`--out --foo`); a file that
      // really starts with "-" can be given as ./-name.
      if (!value || (inline === undefined && value.startsWith('-'))) {
        return usageError('--out needs a file name');
      }
      // `--out incidents=http://…` is a forgotten file name too, not a file to write over.
      if (typeof parseSubgraph(value) !== 'string') {
        return usageError(`--out needs a file name, not the subgraph "${value}"`);
      }
      if (out !== undefined) return usageError('--out is given more than once');
      out = value;
      continue;
    }
    if (arg.startsWith('-')) return usageError(`unknown option "${arg}"`);
    const spec = parseSubgraph(arg);
    if (typeof spec === 'string') return usageError(spec);
    if (subgraphs.some((known) => known.name === spec.name)) {
      return usageError(`subgraph "${spec.name}" is given more than once`);
    }
    subgraphs.push(spec);
  }
  return { kind: 'compose', out: out ?? DEFAULT_OUT, subgraphs };
}

/** `name=url` or `name=url=file`: the spec, or why it is neither. */
function parseSubgraph(arg: string): SubgraphSpec | string {
  const [name = '', ...rest] = arg.split('=');
  // The last piece is a file when there are three or more: a URL whose query has "=" in it cannot
  // be told from url=file, so such a URL needs its SDL file given as well.
  const sdlFile = rest.length > 1 ? rest.pop() : undefined;
  const url = rest.join('=');
  const notASubgraph = `"${arg}" is not <name>=<url> or <name>=<url>=<file.graphql>`;
  if (name === '' || url === '') return notASubgraph;
  if (!isHttpUrl(url)) return `${notASubgraph}: "${url}" is not an http(s) URL`;
  if (sdlFile === '') return `${notASubgraph}: no file name after the last "="`;
  return { name, url, sdlFile };
}

function isHttpUrl(text: string): boolean {
  try {
    const { protocol } = new URL(text);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

function usageError(message: string): ComposeArgs {
  return { kind: 'usage-error', message };
}
