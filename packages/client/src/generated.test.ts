/// <reference types="node" />
import { readFileSync } from 'node:fs';
import { generate } from '@graphql-codegen/cli';
import { expect, it } from 'vitest';
import config, { generatedFile } from '../codegen.ts';

// The committed generated/operations.ts is what the client (and the CLI) compiles against:
// regenerating from schema.graphql and operations.graphql must reproduce it byte for byte.
it('generated operations match schema.graphql and operations.graphql (run `npm run codegen -w @weft/client` if not)', async () => {
  const files: Array<{ filename: string; content: string }> = await generate({ ...config, silent: true }, false);
  expect(files.map((f) => f.filename)).toEqual([generatedFile]);
  expect(readFileSync(generatedFile, 'utf8')).toBe(files[0]?.content);
});
