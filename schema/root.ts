import { builder } from './builder.ts';

builder.queryType({ description: 'Read the webhooks of the workspace that owns the API key.' });
builder.mutationType({
  description: 'Change the webhooks of the workspace that owns the API key.',
});
