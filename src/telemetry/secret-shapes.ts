/**
 * What "shaped like a key or a secret" means, written once: the request id check, the log
 * scrubber, and the public error messages and extensions all ask the same question.
 *
 * Text is secret-shaped when it holds:
 *
 * - a known credential prefix at the start of a word: Featurebase API keys start with `sk_`,
 *   webhook signing secrets with `whsec_`, and the same family of APIs (Stripe's conventions,
 *   which Featurebase follows) uses `pk_` and `rk_` for publishable and restricted keys;
 * - an HTTP bearer credential, `Bearer <token>` (a token in RFC 6750 `b64token` characters: a
 *   placeholder such as `Bearer <key>` in our own messages is not one);
 * - a random token: a run of at least 20 letters and digits that mixes upper case, lower case
 *   and digits. Randomly generated keys, secrets and base64 text look like that; identifiers
 *   people and tracing systems use do not: UUIDs (hex split by dashes into runs of at most 12),
 *   ULIDs (upper case and digits only), W3C trace ids (32 lower-case hex digits), `req-123`,
 *   `checkout.v2:42`, or GraphQL type names such as `WebhookRequestConfigInput` (no digits).
 *
 * A false positive costs little (a caller's request id replaced by a fresh UUID, a word of an
 * error message redacted); a false negative sends a credential into logs or to a client.
 */

/** A known prefix, not preceded by a letter or digit (`my_sk_live…` counts, `task_…` does not). */
const PREFIXED = /(?<![A-Za-z0-9])(?:sk|pk|rk|whsec)_[A-Za-z0-9_-]*/gi;
const BEARER = /\bBearer\s+[A-Za-z0-9\-._~+/]+=*/gi;
/** Candidates for the random-token rule; each one is then checked for its mix of characters. */
const LONG_RUN = /[A-Za-z0-9]{20,}/g;

export function isSecretShaped(text: string): boolean {
  return scrubSecretShapes(text, '') !== text;
}

/** `text` with every secret-shaped part replaced by `replacement`. */
export function scrubSecretShapes(text: string, replacement: string): string {
  // Prefixes first: a prefixed key is then replaced whole, underscores and all.
  return text
    .replace(PREFIXED, () => replacement)
    .replace(BEARER, () => `Bearer ${replacement}`)
    .replace(LONG_RUN, (run) => (isRandomToken(run) ? replacement : run));
}

function isRandomToken(run: string): boolean {
  return /[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run);
}
