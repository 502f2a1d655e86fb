/**
 * `npm run codegen`, step 2: typed documents for the example operations in
 * `schema/operations/`, checked against the committed SDL (an operation that no longer fits
 * the schema fails here). Step 1, `scripts/print-schema.ts`, writes that SDL from the code.
 */

import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: 'schema/operations/*.graphql',
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
