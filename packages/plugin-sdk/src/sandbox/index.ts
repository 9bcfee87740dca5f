/**
 * `@weft/plugin-sdk/sandbox`: the sandbox runner shared by the Weft plugin host and the test
 * harness. Plugin authors do not need it directly.
 * @packageDocumentation
 */
export { DEFAULT_CPU_BUDGET, type WorkspaceCpuBudget } from './budget.ts';
export {
  capabilityCovers,
  httpAllowed,
  isCapability,
  missingCapabilities,
  secretAllowed,
  unrequestedGrants,
} from './capabilities.ts';
export {
  type AddressKind,
  classifyAddress,
  createEgressPolicy,
  describeEgressFailure,
  EgressConfigError,
  type EgressDecision,
  EgressDeniedError,
  type EgressFailure,
  type EgressPolicy,
  type EgressRequest,
  egressFetch,
  embeddedIpv4,
} from './egress/index.ts';
export { CapabilityError, SandboxError, SandboxErrorCode } from './errors.ts';
export {
  type CapabilityBackends,
  type CapabilityLimits,
  createCapabilityHandlers,
  type LlmCall,
  type SecretValue,
} from './handlers.ts';
export { bundleIntegrity } from './integrity.ts';
export {
  type CallHandlers,
  type CapabilityHandler,
  type SandboxCall,
  type SandboxPlugin,
  SandboxPool,
  type SandboxPoolOptions,
  type SandboxProcessStats,
} from './pool.ts';
export { DEFAULT_LIMITS, type IsolateStats, type RunInfo, type SandboxLimits } from './protocol.ts';
