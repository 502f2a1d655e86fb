/**
 * `npm run codegen`, step 2: typed documents for the example operations in
 * `schema/operations/` and for the admin page example's operations, checked against the
 * committed SDL (an operation that no longer fits the schema fails here). Step 1,
 * `scripts/print-schema.ts`, writes that SDL from the code.
 */

import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  // One output for both sets: the schema's input and enum types are written once, and a bundle
  // (the admin page's) keeps only the documents it imports.
  documents: ['schema/operations/*.graphql', 'examples/admin-page/operations.graphql'],
  generates: {
    'schema/generated/operations.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        strictScalars: true,
        scalars: { DateTime: 'string', ID: 'string' },
        avoidOptionals: { field: true, inputValue: false },
      },
    },
  },
};

export default config;
