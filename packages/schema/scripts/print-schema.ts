// Writes schema.graphql (committed); `schema.test.ts` fails when it is stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSchema, printSchemaSdl } from '../src/print.ts';

const target = fileURLToPath(new URL('../schema.graphql', import.meta.url));
writeFileSync(target, printSchemaSdl(buildSchema()));
process.stdout.write(`wrote ${target}\n`);
