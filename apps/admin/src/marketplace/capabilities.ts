// What a plugin's capability strings allow, in words, and what changes between two versions. The
// strings are the SDK's (`kv`, `llm`, `http:<host>[:port]`, `http:*.<domain>`, `http:*`,
// `secrets:<NAME>`, `secrets:*`); the sandbox host enforces them, the console only explains.

/** One sentence saying what granting `capability` lets the plugin do. */
export function explainCapability(capability: string): string {
  if (capability === 'kv') return 'Keep its own key-value data, private to this installation.';
  if (capability === 'llm') return "Send prompts to the server's language model (the workspace's LLM usage).";
  if (capability === 'http:*') return 'Make HTTP requests to any host on the internet.';
  if (capability.startsWith('http:*.')) {
    return `Make HTTP requests to any subdomain of ${capability.slice('http:*.'.length)}.`;
  }
  if (capability.startsWith('http:')) {
    const target = capability.slice('http:'.length);
    const [host, port] = target.split(':');
    return port === undefined ? `Make HTTP requests to ${host}.` : `Make HTTP requests to ${host} on port ${port}.`;
  }
  if (capability === 'secrets:*') return "Read every one of the workspace's secrets.";
  if (capability.startsWith('secrets:')) {
    return `Read the workspace secret ${capability.slice('secrets:'.length)} (sent only to the hosts that secret allows).`;
  }
  return 'A capability this console does not know; read the plugin’s documentation before granting it.';
}

/** A version's asks, as the API lists them. */
export interface CapabilityAsks {
  capabilities: readonly string[];
  optionalCapabilities: readonly string[];
}

export interface CapabilityChange {
  capability: string;
  /** Whether the version that has it requires it (false: optional). */
  required: boolean;
}

/** What moving from `from` to `to` adds and removes, each with whether the version having it requires it. */
export function diffCapabilities(
  from: CapabilityAsks,
  to: CapabilityAsks,
): { added: CapabilityChange[]; removed: CapabilityChange[]; nowRequired: string[] } {
  const all = (v: CapabilityAsks) => new Set([...v.capabilities, ...v.optionalCapabilities]);
  const before = all(from);
  const after = all(to);
  const change = (v: CapabilityAsks) => (capability: string) => ({
    capability,
    required: v.capabilities.includes(capability),
  });
  return {
    added: [...after].filter((c) => !before.has(c)).map(change(to)),
    removed: [...before].filter((c) => !after.has(c)).map(change(from)),
    // Asked by both, but optional before and required now: an admin who withheld it must grant it.
    nowRequired: to.capabilities.filter((c) => from.optionalCapabilities.includes(c)),
  };
}

/**
 * The grants to send for `to`: every required one, and the optional ones chosen. Optional choices
 * the version does not ask for are dropped (the API would refuse a grant nobody asked for).
 */
export function grantsFor(to: CapabilityAsks, chosenOptional: Iterable<string>): string[] {
  const chosen = new Set(chosenOptional);
  return [...to.capabilities, ...to.optionalCapabilities.filter((c) => chosen.has(c))];
}
