import { NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Introspection switched off means off whichever path serves the request: decided on the parsed
 * document by graphql-js's validation rule (`__schema` or `__type` anywhere, through fragments,
 * in any spelling the parser accepts), added to every validation, so the verdict is cached with
 * the document's validation and holds for cached texts too.
 */
export function useNoIntrospection(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}
