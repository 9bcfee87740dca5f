import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  GraphQLEnumType,
  type GraphQLField,
  GraphQLInterfaceType,
  GraphQLObjectType,
  Kind,
  parse,
  print,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildSchema, printSchemaSdl } from './print.ts';

const schema = buildSchema();
const read = (name: string) => readFileSync(fileURLToPath(new URL(`../${name}`, import.meta.url)), 'utf8');

describe('schema.graphql', () => {
  it('is up to date (run `npm run schema:print -w @weft/schema`)', () => {
    expect(read('schema.graphql')).toBe(printSchemaSdl(schema));
  });

  it("is a superset of the contract's SDL (contract.graphql): every type, field, argument and enum value, same types", () => {
    const missing: string[] = [];
    for (const def of parse(read('contract.graphql')).definitions) {
      if (def.kind === Kind.SCALAR_TYPE_DEFINITION) {
        if (!schema.getType(def.name.value)) missing.push(def.name.value);
        continue;
      }
      if (def.kind === Kind.ENUM_TYPE_DEFINITION) {
        const ours = schema.getType(def.name.value);
        const values = ours instanceof GraphQLEnumType ? ours.getValues().map((v) => v.name) : [];
        for (const v of def.values ?? [])
          if (!values.includes(v.name.value)) missing.push(`${def.name.value}.${v.name.value}`);
        continue;
      }
      // `extend type` blocks (the contract's additions) are checked like the types they extend.
      if (
        def.kind !== Kind.OBJECT_TYPE_DEFINITION &&
        def.kind !== Kind.INTERFACE_TYPE_DEFINITION &&
        def.kind !== Kind.OBJECT_TYPE_EXTENSION
      )
        continue;
      const type = schema.getType(def.name.value);
      if (!(type instanceof GraphQLObjectType || type instanceof GraphQLInterfaceType)) {
        missing.push(def.name.value);
        continue;
      }
      const interfaces = type.getInterfaces().map((i) => i.name);
      for (const i of def.interfaces ?? [])
        if (!interfaces.includes(i.name.value)) missing.push(`${type.name} implements ${i.name.value}`);
      const fields = type.getFields() as Record<string, GraphQLField<unknown, unknown>>;
      for (const field of def.fields ?? []) {
        const where = `${type.name}.${field.name.value}`;
        const ours = fields[field.name.value];
        if (ours === undefined) {
          missing.push(where);
          continue;
        }
        if (String(ours.type) !== print(field.type))
          missing.push(`${where}: ${print(field.type)} (is ${String(ours.type)})`);
        for (const arg of field.arguments ?? []) {
          const theirs = print(arg.type);
          const oursArg = ours.args.find((a) => a.name === arg.name.value);
          if (oursArg === undefined || String(oursArg.type) !== theirs)
            missing.push(`${where}(${arg.name.value}: ${theirs})`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
