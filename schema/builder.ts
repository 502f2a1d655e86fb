/**
 * The Pothos builder: set-up only, it defines no types (each domain file does, and `index.ts`
 * imports them all). The schema is an Apollo Federation v2 subgraph. Fields are non-null unless a file says otherwise, so that every nullable
 * position in the schema is a deliberate choice.
 */

import SchemaBuilder from '@pothos/core';
import DirectivePlugin from '@pothos/plugin-directives';
import FederationPlugin from '@pothos/plugin-federation';
import type { GatewayContext } from '../src/graphql/context.ts';

export const builder = new SchemaBuilder<{
  Context: GatewayContext;
  DefaultFieldNullability: false;
  Scalars: {
    ID: { Input: string; Output: string };
    /** Featurebase sends ISO-8601 strings; they go out normalised to UTC. */
    DateTime: { Input: string; Output: string };
  };
}>({
  // Federation after the directives plugin, as its docs ask: it builds on its directives.
  plugins: [DirectivePlugin, FederationPlugin],
  defaultFieldNullability: false,
});
