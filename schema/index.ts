/**
 * The schema: imports only. Each imported file adds its types and fields to the builder.
 */

import { builder } from './builder.ts';
import './root.ts';
import './scalars.ts';
import './webhook-enums.ts';
import './webhook.ts';
import './webhook-mutations.ts';

export const schema = builder.toSchema({ sortSchema: false });
