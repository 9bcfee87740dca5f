import type { Role } from '../graphql/generated/graphql.ts';

/** Why a role may not use a control, or null when it may (the API enforces the same rule). */
export function cannotRunReason(role: Role): string | null {
  return role === 'VIEWER'
    ? 'Viewers can watch runs but not start or control them; ask an admin for the member role.'
    : null;
}

/** Why a role may not create or change plans, or null when it may (members and admins). */
export function cannotEditPlansReason(role: Role): string | null {
  return role === 'VIEWER'
    ? 'Viewers can read plans but not create or change them; ask an admin for the member role.'
    : null;
}
