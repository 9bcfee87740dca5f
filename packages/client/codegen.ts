/// <reference types="node" />
import { fileURLToPath } from 'node:url';
import type { CodegenConfig } from '@graphql-codegen/cli';

// The client's operation types come from the schema the API serves (packages/schema/schema.graphql)
// and the documents in src/operations.graphql, so a field renamed in the API is a type error here
// and in every program built on the client. `npm run codegen -w @weft/client` rewrites
// src/generated/operations.ts; generated.test.ts fails while the committed file is stale.
const at = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export const generatedFile = at('./src/generated/operations.ts');

const config: CodegenConfig = {
  schema: at('../../packages/schema/schema.graphql'),
  documents: [at('./src/operations.graphql')],
  ignoreNoDocuments: false,
  generates: {
    [generatedFile]: {
      plugins: ['typescript', 'typescript-operations', 'typed-document-node'],
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        // Only the types the client's operations use, not every type of the API.
        onlyOperationTypes: true,
        // The server answers every selected field (null when empty): no optional result fields.
        avoidOptionals: { field: true },
        // DateTime travels as an ISO string; JSON is whatever the server stored.
        strictScalars: true,
        scalars: { DateTime: 'string', JSON: 'unknown' },
      },
    },
  },
};

export default config;
