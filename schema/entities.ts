/**
 * Guards on `_entities`, the field a router calls with references from other subgraphs. The
 * resolver comes from `@apollo/subgraph`; it is wrapped here because, as shipped, it has no cap on
 * the batch and lets one reference of an unknown type fail every entity of the batch.
 */

import { GraphQLError, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import type { GatewayContext } from '../src/graphql/context.ts';

export function guardEntities(schema: GraphQLSchema): GraphQLSchema {
  const field = schema.getQueryType()?.getFields()['_entities'];
  const resolve = field?.resolve as GraphQLFieldResolver<unknown, GatewayContext> | undefined;
  if (!field || !resolve) return schema;

  field.resolve = (source, args, context, info) => {
    const representations: unknown = args['representations'];
    if (!Array.isArray(representations)) return resolve(source, args, context, info);
    if (representations.length > context.maxEntityRepresentations) {
      throw new GraphQLError(
        `A request may resolve at most ${context.maxEntityRepresentations} entities.`,
        { extensions: { code: 'BAD_USER_INPUT' } },
      );
    }
    // One at a time through the original resolver: the per-request loader still batches them
    // (loads made in the same tick are one batch), and a bad one fails alone.
    return representations.map((representation: unknown) => {
      if (!isWebhookReference(representation)) {
        return new GraphQLError('This subgraph resolves Webhook references only.', {
          extensions: { code: 'BAD_USER_INPUT' },
        });
      }
      const [entity] = resolve(
        source,
        { representations: [representation] },
        context,
        info,
      ) as unknown[];
      return entity;
    });
  };
  return schema;
}

function isWebhookReference(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    '__typename' in value &&
    value.__typename === 'Webhook'
  );
}
