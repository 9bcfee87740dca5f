export { MIGRATIONS_DIR, type MigrateOptions, migrate } from './migrate.ts';
export { createPools, type PoolOptions, type Pools } from './pools.ts';
export {
  isLegacySecret,
  openSecret,
  openStoredSecret,
  type SecretStore,
  type StoredSecretRef,
  sealSecret,
  sealStoredSecret,
  storedSecretContext,
} from './secret-box.ts';
export {
  beginTenantSql,
  type Notification,
  type Queryable,
  type RoundTrip,
  type Statement,
  setWorkspace,
  type TenantScope,
  TenantTx,
  type TenantTxOptions,
  withTenant,
} from './tenant.ts';
export {
  ADMIN_READ_ROLE,
  APP_ROLE,
  adminReadDatabaseUrl,
  appDatabaseUrl,
  LOGIN_ROLES,
  passwordOf,
  withDatabase,
} from './urls.ts';
