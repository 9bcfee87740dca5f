import type { Role } from '../graphql/generated/graphql.ts';

// Why a role may not use a control, or null when it may. One sentence per rule, written beside the
// disabled control (a tooltip alone is not read on a phone); the API's CASL rules enforce the same.

export function cannotRunReason(role: Role): string | null {
  return role === 'VIEWER'
    ? 'Viewers can watch runs but not start or control them; ask an admin for the member role.'
    : null;
}

/** Why a role may not install, upgrade or uninstall plugins, or null (the API: `PluginInstallation` is admins'). */
export function cannotManagePluginsReason(role: Role): string | null {
  return role === 'ADMIN'
    ? null
    : `Only admins can install, upgrade or uninstall plugins (your role: ${role}); a plugin's grants reach the workspace's secrets and network.`;
}

/** Why a role may not see or change secrets, or null (the API: `Secret` is admins' alone, reading included). */
export function cannotManageSecretsReason(role: Role): string | null {
  return role === 'ADMIN' ? null : `Only admins can see, set or delete secrets (your role: ${role}).`;
}

/** Why a role may not create or change plans, or null when it may (members and admins). */
export function cannotEditPlansReason(role: Role): string | null {
  return role === 'VIEWER'
    ? 'Viewers can read plans but not create or change them; ask an admin for the member role.'
    : null;
}

/** Schedules start runs with no one at the keyboard: whoever may run may set them. */
export function cannotEditSchedulesReason(role: Role): string | null {
  return role === 'VIEWER' ? 'Viewers can see schedules but not change them; ask an admin for the member role.' : null;
}

/** An event may start or resume runs: whoever may run may send one. */
export function cannotSendEventsReason(role: Role): string | null {
  return role === 'VIEWER' ? 'Viewers can see events but not send them; ask an admin for the member role.' : null;
}

/** Sections only admins may open (the audit log). */
export function adminsOnlyReason(role: Role, what: string): string | null {
  return role === 'ADMIN' ? null : `Only admins can read ${what}; your role is ${role.toLowerCase()}.`;
}
