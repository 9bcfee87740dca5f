import type { Action, Subject } from './abilities.ts';
import type { SchemaTypes } from './builder.ts';
import type { SchemaContext } from './context.ts';

type ScopeMap = { authenticated?: boolean; can?: SchemaTypes['AuthScopes']['can'] };

/**
 * Scope-auth scopes for a workspace-scoped field: signed in first (UNAUTHENTICATED), then the
 * CASL ability of the viewer's role in the workspace the arguments point at (NOT_FOUND/FORBIDDEN).
 */
export function canIn<Args>(
  permission: readonly [Action, Subject],
  workspaceOf: (args: Args) => string,
): (parent: unknown, args: Args, ctx: SchemaContext) => ScopeMap {
  const [action, subject] = permission;
  return (_parent, args, ctx) =>
    ctx.viewer === null ? { authenticated: true } : { can: { workspaceId: workspaceOf(args), action, subject } };
}
