/**
 * The GraphiQL page: a few hundred bytes of HTML that load GraphiQL from this gateway
 * (`assets.ts`) and open it with our examples in their own tabs. Yoga's default page loads its
 * assets from a CDN, so offline or behind a strict proxy it never leaves "Loading…".
 */

import type { GraphiQLOptions } from 'graphql-yoga';
import { GRAPHIQL_ASSETS_URL } from './assets.ts';
import { LIST_WITH_HEALTH, ROTATE_SECRET } from './examples.ts';

export interface GraphiQLSetup {
  /** Headers of every example tab, e.g. the demo key on the simulator. Default: a placeholder. */
  defaultHeaders?: Record<string, string>;
  /** The id the rotation example starts with (a sample webhook on the simulator). */
  exampleWebhookId?: string;
}

const PLACEHOLDER_HEADERS = { Authorization: 'Bearer <your Featurebase API key>' };

export function graphiqlOptions(setup: GraphiQLSetup): GraphiQLOptions {
  const headers = JSON.stringify(setup.defaultHeaders ?? PLACEHOLDER_HEADERS, null, 2);
  const id = setup.exampleWebhookId ?? '<a webhook id from the list>';
  return {
    title: 'Featurebase webhooks gateway',
    defaultTabs: [
      { query: LIST_WITH_HEALTH, headers },
      { query: ROTATE_SECRET, headers, variables: JSON.stringify({ id }, null, 2) },
    ],
    defaultHeaders: headers,
    // A key typed into the Headers tab is a credential: it is not written to localStorage.
    shouldPersistHeaders: false,
    defaultEditorToolsVisibility: true,
  };
}

/** Yoga's `renderGraphiQL`: the page for those options, its assets named by URL. */
export function renderGraphiQLPage(options: GraphiQLOptions): string {
  const title = escapeHtml(options.title ?? 'GraphiQL');
  const assets = GRAPHIQL_ASSETS_URL;
  // Inside <script>, JSON is safe once no `<` can close the element early.
  const json = JSON.stringify(options).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${title}</title>
    <link rel="icon" href="${assets}favicon.ico" />
    <link rel="stylesheet" href="${assets}graphiql.css" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>GraphiQL needs JavaScript.</noscript>
    <div id="root"></div>
    <script>
      // Monaco starts its language services in workers, from URLs on this gateway too.
      self.MonacoEnvironment = {
        globalAPI: false,
        getWorkerUrl: (_moduleId, label) =>
          ({ json: '${assets}json.worker.js', graphql: '${assets}graphql.worker.js' })[label] ??
          '${assets}editor.worker.js',
      };
    </script>
    <script src="${assets}graphiql.js"></script>
    <script>
      YogaGraphiQL.renderYogaGraphiQL(document.querySelector('#root'), ${json});
    </script>
  </body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
