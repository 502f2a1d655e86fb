/** The SDL as committed in `schema/schema.graphql`: sorted, so diffs show only real changes. */

import { type GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';

export function printSortedSchema(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
