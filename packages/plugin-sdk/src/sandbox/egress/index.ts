/** The egress check: one module for plugin `fetch` and outbound webhooks. */
export { type AddressKind, classifyAddress, embeddedIpv4 } from './address.ts';
export {
  describeEgressFailure,
  EgressDeniedError,
  type EgressFailure,
  type EgressRequest,
  egressFetch,
} from './fetch.ts';
export { createEgressPolicy, EgressConfigError, type EgressDecision, type EgressPolicy } from './policy.ts';
