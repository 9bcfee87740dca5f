import SchemaBuilder from '@pothos/core';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import type { Role } from '@weft/engine';
import { GraphQLError, Kind } from 'graphql';
import { type Action, abilityFor, type Subject } from './abilities.ts';
import { roleOf, type SchemaContext } from './context.ts';
import { forbidden, notFound, unauthenticated } from './errors.ts';
import { decodeGlobalId, encodeGlobalId } from './ids.ts';

/** A permission asked of CASL for one workspace. */
export interface Permission {
  workspaceId: string;
  action: Action;
  subject: Subject;
}

export interface SchemaTypes {
  Context: SchemaContext;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    ID: { Input: string; Output: string };
  };
  AuthScopes: { authenticated: boolean; can: Permission };
  DefaultFieldNullability: false;
  DefaultEdgesNullability: { list: false; items: false };
  DefaultNodeNullability: false;
}

/** Type names that may appear in a global ID; anything else is NOT_FOUND. */
export const NODE_TYPES = new Set<string>();

export const builder = new SchemaBuilder<SchemaTypes>({
  plugins: [ScopeAuthPlugin, RelayPlugin, DataloaderPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    // Scopes are computed from CASL: being signed in, then the role's ability in the workspace.
    // Not being a member throws NOT_FOUND from the loader, so another workspace looks like nothing.
    authScopes: (ctx) => ({
      authenticated: ctx.viewer !== null,
      can: async ({ workspaceId, action, subject }) => {
        if (ctx.viewer === null) return false;
        const role: Role | null = await roleOf(ctx, workspaceId);
        if (role === null) throw notFound();
        return abilityFor(role).can(action, subject);
      },
    }),
    // Subscriptions are authorized when they start, not on each event.
    authorizeOnSubscribe: true,
    unauthorizedError: (_parent, ctx) => (ctx.viewer === null ? unauthenticated() : forbidden()),
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodesQueryOptions: false,
    edgesFieldOptions: { nullable: { list: false, items: false } },
    nodeFieldOptions: { nullable: false },
    encodeGlobalID: (typename, id) => encodeGlobalId(typename, String(id)),
    decodeGlobalID: (globalId) => {
      const decoded = decodeGlobalId(globalId);
      if (!NODE_TYPES.has(decoded.typename)) throw notFound();
      return decoded;
    },
  },
});

builder.scalarType('DateTime', {
  description: 'An instant, as an ISO-8601 string in UTC.',
  serialize: (value) => (value instanceof Date ? value.toISOString() : String(value)),
  parseValue: (value) => {
    const date = new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new GraphQLError('DateTime must be an ISO-8601 string.');
    return date;
  },
});

function literalValue(node: import('graphql').ValueNode): unknown {
  switch (node.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
    case Kind.ENUM:
      return node.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return node.values.map(literalValue);
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((f) => [f.name.value, literalValue(f.value)]));
    default:
      throw new GraphQLError('JSON literals cannot contain variables.');
  }
}

builder.scalarType('JSON', {
  description: 'Any JSON value.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (node) => literalValue(node),
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

export const RoleEnum = builder.enumType('Role', { values: ['ADMIN', 'MEMBER', 'VIEWER'] as const });

export const UserErrorRef = builder
  .objectRef<{ code: string; field: string[] | null; message: string }>('UserError')
  .implement({
    description: 'An expected failure of a mutation: nothing was written.',
    fields: (t) => ({
      code: t.exposeString('code'),
      field: t.exposeStringList('field', { nullable: true }),
      message: t.exposeString('message'),
    }),
  });
