/**
 * The SDL as committed in `schema/schema.graphql`: the subgraph SDL a router composes (the same
 * text `_service { sdl }` answers), sorted so that diffs show only real changes.
 */

import { printSubgraphSchema } from '@apollo/subgraph';
import { type GraphQLSchema, lexicographicSortSchema } from 'graphql';

export function printSortedSchema(schema: GraphQLSchema): string {
  return `${printSubgraphSchema(lexicographicSortSchema(schema))}\n`;
}
