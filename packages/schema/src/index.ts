export {
  type Action,
  abilityFor,
  FIELD_PERMISSIONS,
  MUTATION_PERMISSIONS,
  ROLES,
  roleCan,
  SUBSCRIPTION_PERMISSIONS,
  type Subject,
  type WorkspaceMutation,
} from './abilities.ts';
export { writeAudit } from './audit.ts';
export { addressKey, DEFAULT_LOGIN_THROTTLE, type LoginThrottleOptions } from './auth/login-throttle.ts';
export { resolveToken, type Viewer } from './auth/tokens.ts';
export { buildSchema } from './build-schema.ts';
export {
  bearerToken,
  createContext,
  type ExecutionFeed,
  engineSources,
  type PlanValidator,
  type RequestInfo,
  roleOf,
  type SchemaContext,
  type SchemaLogger,
  type SchemaOptions,
  type ToolLister,
} from './context.ts';
export { SchemaErrorCode } from './errors.ts';
export {
  EVENT_NAME_PATTERN,
  type EventEngine,
  eventInputErrors,
  type SentEvent,
  sendWorkspaceEvent,
} from './events/send-event.ts';
export { encodeGlobalId, encodeTenantId, parseTenantId } from './ids.ts';
export { keysetCursor, keysetStatement, parseCursor } from './keyset-page.ts';
export { printSchemaSdl } from './print.ts';
