import { List, Text } from '@mantine/core';
import { type CapabilityAsks, explainCapability } from './capabilities.ts';

/** A version's asks in words: required first, then optional, each with what it allows. */
export function CapabilityList({ asks }: { asks: CapabilityAsks }) {
  const item = (c: string) => (
    <List.Item key={c}>
      <code>{c}</code> — {explainCapability(c)}
    </List.Item>
  );
  return (
    <div className="capabilities">
      <Text size="sm" fw={600}>
        Required
      </Text>
      {asks.capabilities.length === 0 ? (
        <Text size="sm">None.</Text>
      ) : (
        <List size="sm" aria-label="Required capabilities">
          {asks.capabilities.map(item)}
        </List>
      )}
      <Text size="sm" fw={600} mt="xs">
        Optional
      </Text>
      {asks.optionalCapabilities.length === 0 ? (
        <Text size="sm">None.</Text>
      ) : (
        <List size="sm" aria-label="Optional capabilities">
          {asks.optionalCapabilities.map(item)}
        </List>
      )}
    </div>
  );
}
