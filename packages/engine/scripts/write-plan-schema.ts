// Writes the published plan JSON Schema next to package.json (a test fails when it is stale).
import { writeFileSync } from 'node:fs';
import { planSchemaFile, planSchemaText } from '../src/plan-schema-file.ts';

writeFileSync(planSchemaFile, planSchemaText());
process.stdout.write(`wrote ${planSchemaFile}\n`);
