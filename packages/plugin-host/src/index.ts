// The egress rule (one implementation, in the SDK's sandbox module) for the API's other outbound traffic.
export {
  createEgressPolicy,
  describeEgressFailure,
  EgressConfigError,
  EgressDeniedError,
  type EgressFailure,
  type EgressPolicy,
  egressFetch,
} from '@weft/plugin-sdk/sandbox';
export { PluginErrorCode, type UserError } from './errors.ts';
export { FIRST_PARTY_PLUGINS, type FirstPartyResult, publishFirstPartyPlugins } from './first-party.ts';
export type { LlmOptions } from './llm-backend.ts';
export {
  getPluginVersion,
  installPlugin,
  listInstallations,
  MAX_BUNDLE_BYTES,
  type MarketplacePage,
  type PluginInstallationRecord,
  type PluginRecord,
  type PluginVersionRecord,
  type PluginVersionTool,
  type PublishPluginVersionInput,
  pluginVersionTools,
  publishPluginVersion,
  searchMarketplace,
  uninstallPlugin,
  upgradePlugin,
} from './marketplace.ts';
export { createPluginHost, type PluginHost, type PluginHostOptions } from './plugin-host.ts';
export { deleteSecret, listSecrets, type SecretInfo, setSecret } from './secrets.ts';
