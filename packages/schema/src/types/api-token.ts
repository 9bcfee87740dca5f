import type { TokenRow } from '../auth/tokens.ts';
import { builder } from '../builder.ts';
import { encodeGlobalId } from '../ids.ts';
import { UserRef, WorkspaceRef } from './refs.ts';

export const ApiTokenRef = builder.objectRef<TokenRow>('ApiToken').implement({
  description: 'A session or API token, without its secret value (which is shown once, when created).',
  fields: (t) => ({
    id: t.id({ resolve: (a) => encodeGlobalId('ApiToken', a.id) }),
    name: t.exposeString('name', { nullable: true }),
    kind: t.exposeString('kind', { description: '"session" (from logIn/signUp) or "api" (createApiToken).' }),
    workspace: t.field({ type: WorkspaceRef, nullable: true, resolve: (a) => a.workspaceId }),
    owner: t.field({ type: UserRef, description: 'Whose token it is.', resolve: (a) => a.userId }),
    createdAt: t.field({ type: 'DateTime', resolve: (a) => a.createdAt }),
    expiresAt: t.field({ type: 'DateTime', nullable: true, resolve: (a) => a.expiresAt }),
    lastUsedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'Last request made with it, to the minute.',
      resolve: (a) => a.lastUsedAt,
    }),
  }),
});
