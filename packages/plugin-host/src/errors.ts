/** Machine codes of the plugin host and marketplace (one map for the package). */
export const PluginErrorCode = {
  INVALID_MANIFEST: 'INVALID_MANIFEST',
  INVALID_VERSION: 'INVALID_VERSION',
  INTEGRITY_MISMATCH: 'INTEGRITY_MISMATCH',
  BUNDLE_TOO_LARGE: 'BUNDLE_TOO_LARGE',
  VERSION_EXISTS: 'VERSION_EXISTS',
  NOT_PUBLISHER: 'NOT_PUBLISHER',
  NOT_FOUND: 'NOT_FOUND',
  INVALID_CAPABILITY: 'INVALID_CAPABILITY',
  CAPABILITY_NOT_REQUESTED: 'CAPABILITY_NOT_REQUESTED',
  MISSING_CAPABILITIES: 'MISSING_CAPABILITIES',
  ALREADY_INSTALLED: 'ALREADY_INSTALLED',
  WRONG_PLUGIN: 'WRONG_PLUGIN',
  INVALID_SECRET_NAME: 'INVALID_SECRET_NAME',
  SECRET_TOO_LARGE: 'SECRET_TOO_LARGE',
  INVALID_ALLOWED_HOST: 'INVALID_ALLOWED_HOST',
  INVALID_SECRET_KEY: 'INVALID_SECRET_KEY',
} as const;

export type PluginErrorCode = (typeof PluginErrorCode)[keyof typeof PluginErrorCode];

/** A typed problem with the caller's input; nothing was written (docs/contract.md "Error model"). */
export interface UserError {
  code: PluginErrorCode;
  field: string[] | null;
  message: string;
}

export function userError(code: PluginErrorCode, field: string[] | null, message: string): UserError {
  return { code, field, message };
}
