/// <reference types="node" />
import { fileURLToPath } from 'node:url';
import type { CodegenConfig } from '@graphql-codegen/cli';

// The console's operation types come from the schema the API serves (packages/schema/schema.graphql)
// and the documents in src/graphql/operations.ts: one source of truth, so a field renamed or made
// nullable in the API is a type error in the console. `npm run codegen -w @weft/admin` rewrites
// src/graphql/generated/; generated.test.ts fails while the committed files are stale.
const at = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export const generatedDir = at('./src/graphql/generated/');

const config: CodegenConfig = {
  schema: at('../../packages/schema/schema.graphql'),
  documents: [at('./src/graphql/operations.ts')],
  ignoreNoDocuments: false,
  generates: {
    [generatedDir]: {
      preset: 'client',
      // The console reads fragments' fields directly; masking would only add unwrapping calls.
      presetConfig: { fragmentMasking: false },
      config: {
        // Sources import with explicit extensions (tsconfig's allowImportingTsExtensions).
        importExtension: '.ts',
        useTypeImports: true,
        enumsAsTypes: true,
        // Only the types the console's operations use, not every type of the API.
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
