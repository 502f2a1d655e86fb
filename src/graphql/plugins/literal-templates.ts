/**
 * Runs a query text with string literals as its layout's template (src/graphql/literal-templates.ts):
 * one shared document, the literals passed as variables, so that such a text is served like the
 * same operation with variables instead of being parsed and validated from scratch each time.
 *
 * Three hooks, on every path (Yoga's handler and the server's direct path alike):
 *
 * - `onParams`: a text whose layout has a template gets the literals' values added to its
 *   variables (`setParams`); the template waits for this request's parse. The query text itself
 *   is left as the client wrote it, for every plugin that reads it. Installed after every other
 *   plugin, so that their `onParams` hooks see the request as it came.
 * - `onParse`: that request's document is the template (`setParsedDocument`). Yoga's parse cache,
 *   which never keeps a text with a literal, keeps nothing of it either.
 * - `onValidate`: a text with a literal that validated tells the store, which remembers its layout
 *   and builds a template on the second one. It wraps the validation function (as
 *   src/graphql/plugins/shape-validation-cache.ts does) because only the function sees the final
 *   list of rules. A template validated once is served Yoga's cached verdict afterwards.
 *
 * The template is handed from `onParams` to `onParse` under the request's context object, in a
 * WeakMap, with the text it is for: gone with the request, and never used for another text.
 */

import type { DocumentNode, validate } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { LiteralTemplates } from '../literal-templates.ts';

type ValidateFunction = typeof validate;

/** The plugin, carrying its store (for tests and diagnostics, which find it among Yoga's plugins). */
export type LiteralTemplatesPlugin = Plugin & { readonly literalTemplates: LiteralTemplates };

/** The plugin; `maxTokens` is the parser's token limit. */
export function useLiteralTemplates(maxTokens: number): LiteralTemplatesPlugin {
  const templates = new LiteralTemplates(maxTokens);
  const waiting = new WeakMap<object, { text: string; document: DocumentNode }>();
  let inner: ValidateFunction | undefined;
  let wrapper: ValidateFunction | undefined;
  return {
    literalTemplates: templates,
    onParams({ params, setParams, context }) {
      const { query, variables } = params;
      if (typeof query !== 'string' || typeof context !== 'object' || context === null) return;
      // Anything but an object (or none) is for Yoga's parameter checks to refuse.
      if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) return;
      const templated = templates.lookUp(query, variables ?? undefined);
      if (!templated) return;
      setParams({ ...params, variables: templated.variables });
      waiting.set(context, { text: query, document: templated.document });
    },
    onParse({ context, params, setParsedDocument }) {
      const template = waiting.get(context);
      if (!template) return;
      waiting.delete(context);
      if (template.text === params.source.toString()) setParsedDocument(template.document);
    },
    onValidate({ validateFn, setValidationFn }) {
      if (validateFn !== inner || !wrapper) {
        const wrapped = validateFn;
        wrapper = (schema, document, rules, ...rest) => {
          const errors = wrapped(schema, document, rules, ...rest);
          const text = document.loc?.source.body;
          if (errors.length === 0 && rules && text !== undefined && !rest.some(isDefined)) {
            templates.learn(schema, rules, text);
          }
          return errors;
        };
        inner = wrapped;
      }
      setValidationFn(wrapper);
    },
  };
}

function isDefined(value: unknown): boolean {
  return value !== undefined;
}
