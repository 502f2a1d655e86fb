/**
 * The Pothos builder: set-up only, it defines no types (each domain file does, and `index.ts`
 * imports them all). Fields are non-null unless a file says otherwise, so that every nullable
 * position in the schema is a deliberate choice.
 */

import SchemaBuilder from '@pothos/core';
import type { GatewayContext } from '../src/context.ts';

export const builder = new SchemaBuilder<{
  Context: GatewayContext;
  DefaultFieldNullability: false;
  Scalars: {
    ID: { Input: string; Output: string };
    /** Featurebase sends ISO-8601 strings; they go out normalised to UTC. */
    DateTime: { Input: string; Output: string };
  };
}>({
  defaultFieldNullability: false,
});
