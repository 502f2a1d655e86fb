/**
 * `npm run codegen`, step 2: typed documents for the example operations in
 * `schema/operations/` and for the admin page example's operations, checked against the
 * committed SDL (an operation that no longer fits the schema fails here). Step 1,
 * `scripts/print-schema.ts`, writes that SDL from the code.
 */

import type { CodegenConfig } from '@graphql-codegen/cli';

// One output per set of documents, each with the same plugins and settings.
const typedDocuments = {
  plugins: ['typescript-operations', 'typed-document-node'],
  config: {
    enumsAsTypes: true,
    useTypeImports: true,
    strictScalars: true,
    scalars: { DateTime: 'string', ID: 'string' },
    avoidOptionals: { field: true, inputValue: false },
  },
};

const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  generates: {
    'schema/generated/operations.ts': {
      ...typedDocuments,
      documents: 'schema/operations/*.graphql',
    },
    'examples/admin-page/generated/operations.ts': {
      ...typedDocuments,
      documents: 'examples/admin-page/operations.graphql',
    },
  },
};

export default config;
