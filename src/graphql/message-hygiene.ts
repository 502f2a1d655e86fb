/**
 * What a GraphQL error message may say: no schema hints, no value the caller sent, nothing
 * shaped like a key or a secret. `errors.ts` applies it to every error before it is
 * sent, whoever made it.
 *
 * graphql-js echoes values in its messages: variable coercion quotes the whole variable
 * (`Variable "$input" got invalid value { …, headers: [{ name: "X-Team", value: … }] } at
 * "input.requestConfig"; …`), scalars and enums quote the value they refused, and validation
 * prints refused literals. A key or a delivery header passed in a variable would come back in
 * the answer, and from there reach logs, proxies and error trackers. (The parser, too, quotes
 * a literal it did not expect.) Such messages are
 * rewritten to keep what helps (the variable, the path into it, the type, a reason that holds no
 * value) and drop the value.
 *
 * The messages are graphql-js 16's (execution/values.js, utilities/coerceInputValue.js,
 * type/scalars.js, type/definition.js, ValuesOfCorrectTypeRule, language/parser.js). A wording this module does not
 * know is kept only where graphql-js puts no value (validation messages other than those below);
 * inside a variable error, an unknown reason is replaced by a generic one.
 *
 * Rewriting is idempotent: a rewritten message matches none of the patterns (cached validation
 * errors are the same objects on every request, and are cleaned in place each time).
 */

import { type GraphQLError, Kind, print } from 'graphql';
import { isSecretShaped, scrubSecretShapes } from '../telemetry/secret-shapes.ts';

/** A GraphQL name, and a type reference as graphql-js prints it (`[WebhookTopic!]!`). */
const NAME = '[_A-Za-z][_0-9A-Za-z]*';
const ONLY_NAME = new RegExp(`^${NAME}$`);
const TYPE = '[\\[\\]!_0-9A-Za-z]+';
/** Longest caller-chosen name (an unknown input field) kept in a message. */
const NAME_MAX_LENGTH = 64;

/** "Did you mean …?" in any wording: it would rebuild the schema, introspection off or not. */
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

type Rewrite = readonly [pattern: RegExp, say: (match: RegExpExecArray) => string];

/**
 * Messages that quote a value, with what to say instead. The same wordings come from scalars and
 * enums inside a variable error (`parseValue`) and from validation of a literal (`parseLiteral`).
 */
const ECHOES: readonly Rewrite[] = [
  [
    /^String cannot represent a non string value: /,
    () => 'String cannot represent a non-string value.',
  ],
  [
    /^ID cannot represent value: /,
    () => 'ID cannot represent this value (a string or an integer).',
  ],
  [
    /^ID cannot represent a non-string and non-integer value: /,
    () => 'ID cannot represent a non-string and non-integer value.',
  ],
  [/^Int cannot represent non-integer value: /, () => 'Int cannot represent a non-integer value.'],
  [
    /^Int cannot represent non 32-bit signed integer value: /,
    () => 'Int cannot represent a value outside the 32-bit signed range.',
  ],
  [
    /^Float cannot represent non numeric value: /,
    () => 'Float cannot represent a non-numeric value.',
  ],
  [
    /^Boolean cannot represent a non boolean value: /,
    () => 'Boolean cannot represent a non-boolean value.',
  ],
  [
    new RegExp(`^Enum "(${NAME})" cannot represent non-(?:string|enum) value: `),
    ([, type]) => `Enum "${type}" cannot represent this value.`,
  ],
  [
    new RegExp(`^Value "[\\s\\S]*" does not exist in "(${NAME})" enum\\.$`),
    ([, type]) => `The value does not exist in "${type}" enum.`,
  ],
  [
    new RegExp(`^Field "([\\s\\S]*)" is not defined by type "(${NAME})"\\.$`),
    ([, field = '', type]) =>
      isShownName(field)
        ? `Field "${field}" is not defined by type "${type}".`
        : `A field is not defined by type "${type}".`,
  ],
  // Validation: `null` tells nothing secret; any other literal is dropped.
  [new RegExp(`^Expected value of type "(${TYPE})", found null\\.$`), ([message = '']) => message],
  [
    new RegExp(`^Expected value of type "(${TYPE})", found `),
    ([, type]) => `Expected a value of type "${type}" here.`,
  ],
  // Execution: an argument literal that did not coerce (a variable in it was null).
  [
    new RegExp(`^Argument "(${NAME})" has invalid value `),
    ([, argument]) => `Argument "${argument}" has an invalid value.`,
  ],
  // Parsing: a misplaced literal token is described with its value.
  [
    /^(Syntax Error: .*?), found (String|BlockString|Int|Float) "[\s\S]*"\.$/,
    ([, expected, token]) => `${expected}, found ${token}.`,
  ],
  [
    /^Syntax Error: Unexpected (String|BlockString|Int|Float) "[\s\S]*"\.$/,
    ([, token]) => `Syntax Error: Unexpected ${token}.`,
  ],
  // A scalar's parseValue threw something else than a GraphQLError: its message is unknown.
  [new RegExp(`^Expected type "(${NAME})"\\. `), ([, type]) => `Expected type "${type}".`],
];

/** Reasons (inside a variable error) known to hold no value: kept as they are. */
const VALUE_FREE_REASONS: readonly RegExp[] = [
  new RegExp(`^Expected non-nullable type "${TYPE}" not to be null\\.$`),
  new RegExp(`^Expected type "${NAME}" to be an object\\.$`),
  new RegExp(`^Expected type "${NAME}"\\.$`),
  new RegExp(`^Field "${NAME}" of required type "${TYPE}" was not provided\\.$`),
  new RegExp(`^Exactly one key must be specified for OneOf type "${NAME}"\\.$`),
  new RegExp(`^Field "${NAME}" must be non-null\\.$`),
];

const VARIABLE_ERROR = new RegExp(`^Variable "\\$(${NAME})" got invalid value `);

/** The message `error` may carry to a client (the same message when there is nothing to remove). */
export function hygienicMessage(error: GraphQLError): string {
  const variable = VARIABLE_ERROR.exec(error.message);
  const message = variable
    ? variableMessage(error, variable[1] ?? '', variable[0].length)
    : withoutEcho(withoutSuggestions(error.message));
  return scrubSecretShapes(message, '[redacted]');
}

function withoutSuggestions(message: string): string {
  return message.includes('Did you mean') ? message.replace(SUGGESTION, '') : message;
}

/** The message with the value it quotes dropped, or unchanged when it quotes none. */
function withoutEcho(message: string): string {
  return rewrite(message) ?? message;
}

function rewrite(message: string): string | undefined {
  for (const [pattern, say] of ECHOES) {
    const match = pattern.exec(message);
    if (match) return say(match);
  }
  return undefined;
}

/**
 * `Variable "$name" got invalid value <value>[ at "<path>"]; <reason>`, where the value is
 * printed by graphql-js's `inspect` (object keys unquoted, so a value can hold any text) and the
 * reason is the message of the inner error graphql-js keeps as `originalError`. Parsed from the
 * known suffix backwards: the path, built from schema field names and list indexes, ends right
 * before it.
 */
function variableMessage(error: GraphQLError, name: string, prefixLength: number): string {
  const inner = innerMessage(error);
  const suffix = inner === undefined ? undefined : `; ${inner}`;
  let path: string | undefined;
  let reason: string | undefined;
  if (inner !== undefined && suffix !== undefined && error.message.endsWith(suffix)) {
    const valueAndPath = error.message.slice(prefixLength, -suffix.length);
    path = new RegExp(` at "(${name}(?:\\.${NAME}|\\[\\d+\\])*)"$`).exec(valueAndPath)?.[1];
    reason = valueFreeReason(withoutSuggestions(inner));
  }
  if (path !== undefined && isSecretShaped(path)) path = undefined;
  const at = path === undefined ? '' : ` at "${path}"`;
  return `Variable "$${name}" got an invalid value${at}; ${reason ?? genericReason(error, path)}`;
}

function innerMessage(error: GraphQLError): string | undefined {
  const inner: unknown = error.originalError;
  return inner instanceof Error && inner.name === 'GraphQLError' ? inner.message : undefined;
}

function valueFreeReason(reason: string): string | undefined {
  const rewritten = rewrite(reason);
  if (rewritten !== undefined) return rewritten;
  return VALUE_FREE_REASONS.some((pattern) => pattern.test(reason)) ? reason : undefined;
}

/** For a reason graphql-js (or a scalar) words in a way this module does not know. */
function genericReason(error: GraphQLError, path: string | undefined): string {
  if (path !== undefined) return 'the value does not match the type expected there.';
  const definition = error.nodes?.[0];
  return definition?.kind === Kind.VARIABLE_DEFINITION
    ? `the value does not match the type "${print(definition.type)}".`
    : 'the value does not match its type.';
}

/** A caller's own field name is shown only when it is a short name and not a credential. */
function isShownName(name: string): boolean {
  return name.length <= NAME_MAX_LENGTH && ONLY_NAME.test(name) && !isSecretShaped(name);
}
