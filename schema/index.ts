/**
 * The schema: imports and assembly only. Each imported file adds its types and fields to the
 * builder.
 */

import { builder } from './builder.ts';
import { guardEntities } from './entities.ts';
import './root.ts';
import './scalars.ts';
import './webhook-enums.ts';
import './webhook.ts';
import './webhook-mutations.ts';

/**
 * A Federation v2 subgraph: `_service { sdl }`, `_entities`, and `Webhook @key(fields: "id")`.
 * Served as is to direct clients too; the federation fields cost nothing unless asked for.
 */
export const schema = guardEntities(
  builder.toSubGraphSchema({
    linkUrl: 'https://specs.apollo.dev/federation/v2.6',
    federationDirectives: ['@key'],
  }),
);
