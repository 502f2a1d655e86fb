/**
 * A query text's layout: the text with the content of every string literal and comment blanked
 * out, position for position.
 *
 * Two texts with the same layout read the same token for token, at the same offsets, except for
 * what their string literals say: graphql-js's own lexer finds the literals, so "the same token
 * for token" is graphql-js's reading, not ours. The layout is what src/graphql/literal-templates.ts
 * keys its templates by, so it must hold nothing a literal or a comment said (either may be a
 * key or a secret written into the query):
 *
 * - a string literal `"…"` becomes `"xxx…"`, as many `x` as its raw content has UTF-16 units;
 * - a block string `"""…"""` keeps its line breaks (so that every later token keeps its line and
 *   column) and every other unit becomes `x`;
 * - a comment `#…` becomes `#xxx…`.
 *
 * Names, numbers, punctuators, blanks and commas are kept as they are, as the parse cache keeps
 * texts without a quote (src/graphql/query-text-cache.ts). With the layout come the literals'
 * values (decoded by the lexer, block strings dedented) and their equality classes: which
 * literals say the same thing matters to validation (two fields under one response name merge
 * only if their arguments print the same), so the classes are part of the key.
 */

import { GraphQLError, Lexer, Source, type Token, TokenKind } from 'graphql';

export interface LiteralLayout {
  /**
   * The equality classes of the literals in order (`0.1.0`: the first and third say the same),
   * a line break, then the layout. Holds no literal's or comment's content.
   */
  readonly key: string;
  /** The text's string literals' values, one per equality class, in order of first appearance. */
  readonly values: readonly string[];
  /** Where each string literal starts in the text (the same offsets in the layout), in order. */
  readonly starts: readonly number[];
  /** The equality class of each string literal, in order. */
  readonly classes: readonly number[];
}

/**
 * The text's layout, or `undefined` when it has no string literal, more than `maxTokens` tokens
 * (the parser's own limit, counted as it counts: comments are not tokens), or does not lex: such
 * texts are left to the parser, which words the error.
 */
export function literalLayoutOf(text: string, maxTokens: number): LiteralLayout | undefined {
  const lexer = new Lexer(new Source(text));
  const start = lexer.token;
  let count = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) {
      if (++count > maxTokens) return undefined;
    }
  } catch (error) {
    if (error instanceof GraphQLError) return undefined;
    throw error;
  }
  let layout = '';
  let copiedTo = 0;
  const values: string[] = [];
  const starts: number[] = [];
  const classes: number[] = [];
  let classOf: Map<string, number> | undefined;
  // The lexer links comments into the token list even though `advance` steps over them.
  for (let token: Token | null = start.next; token && token.kind !== TokenKind.EOF; ) {
    const blank = blanked(text, token);
    if (blank !== undefined) {
      layout += text.slice(copiedTo, token.start) + blank;
      copiedTo = token.end;
      if (token.kind !== TokenKind.COMMENT) {
        classOf ??= new Map();
        let index = classOf.get(token.value);
        if (index === undefined) {
          index = values.length;
          classOf.set(token.value, index);
          values.push(token.value);
        }
        starts.push(token.start);
        classes.push(index);
      }
    }
    token = token.next;
  }
  if (starts.length === 0) return undefined;
  layout += text.slice(copiedTo);
  return { key: `${classes.join('.')}\n${layout}`, values, starts, classes };
}

/** The token's blanked form, or `undefined` when it is kept as it is. */
function blanked(text: string, token: Token): string | undefined {
  const length = token.end - token.start;
  switch (token.kind) {
    case TokenKind.STRING:
      return `"${'x'.repeat(length - 2)}"`;
    case TokenKind.BLOCK_STRING:
      return `"""${text.slice(token.start + 3, token.end - 3).replace(/[^\r\n]/g, 'x')}"""`;
    case TokenKind.COMMENT:
      return `#${'x'.repeat(length - 1)}`;
    default:
      return undefined;
  }
}

/** The layout text of a key (what follows the classes). */
export function layoutTextOf(key: string): string {
  return key.slice(key.indexOf('\n') + 1);
}
