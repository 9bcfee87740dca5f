/// <reference types="node" />
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { generate } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';
import config, { generatedDir } from '../../codegen.ts';

// The committed generated/ files are what the console compiles against: regenerating from
// schema.graphql and operations.ts must reproduce them byte for byte, or someone changed the schema
// or an operation without `npm run codegen -w @weft/admin`.
describe('generated console types', () => {
  it('match schema.graphql and operations.ts (run `npm run codegen -w @weft/admin` if not)', async () => {
    const files: Array<{ filename: string; content: string }> = await generate({ ...config, silent: true }, false);
    const fresh = Object.fromEntries(files.map((f) => [basename(f.filename), f.content]));
    const committed = Object.fromEntries(
      readdirSync(generatedDir).map((name) => [name, readFileSync(join(generatedDir, name), 'utf8')]),
    );
    expect(Object.keys(committed).sort()).toEqual(Object.keys(fresh).sort());
    for (const [name, content] of Object.entries(fresh)) expect(committed[name], name).toBe(content);
  });
});
