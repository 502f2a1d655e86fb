import { NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Introspection switched off means off whichever path serves the request: decided on the parsed
 * document by graphql-js's validation rule (`__schema` or `__type` anywhere, through fragments,
 * in any spelling the parser accepts), added to every validation. Yoga's own plugin only adds
 * the rule for requests that went through its request parser, which the fast path skips. The
 * verdict is cached with the document's validation, so prepared operations inherit it.
 */
export function useNoIntrospection(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}
