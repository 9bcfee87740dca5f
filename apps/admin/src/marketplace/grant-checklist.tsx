import { Checkbox, Stack, Text } from '@mantine/core';
import { type CapabilityAsks, explainCapability } from './capabilities.ts';

const REQUIRED_REASON = 'Required: the plugin cannot work without it, so it cannot be withheld.';

/**
 * The grants an admin gives a version: required capabilities checked and locked with the reason,
 * optional ones opt-in (a call needing a withheld one then fails clearly).
 */
export function GrantChecklist(props: {
  asks: CapabilityAsks;
  optionalChosen: ReadonlySet<string>;
  onChange: (chosen: Set<string>) => void;
  disabled: boolean;
}) {
  const { capabilities, optionalCapabilities } = props.asks;
  if (capabilities.length === 0 && optionalCapabilities.length === 0) {
    return <Text size="sm">This version asks for no capability.</Text>;
  }
  return (
    <Stack gap="xs" role="group" aria-label="Grants">
      {capabilities.map((c) => (
        <Checkbox
          key={c}
          label={<code>{c}</code>}
          description={`${explainCapability(c)} ${REQUIRED_REASON}`}
          checked
          disabled
          readOnly
          aria-label={c}
          data-required="true"
        />
      ))}
      {optionalCapabilities.map((c) => (
        <Checkbox
          key={c}
          label={<code>{c}</code>}
          description={`${explainCapability(c)} Optional: withhold it and only the calls needing it fail.`}
          checked={props.optionalChosen.has(c)}
          disabled={props.disabled}
          aria-label={c}
          onChange={(e) => {
            const next = new Set(props.optionalChosen);
            if (e.currentTarget.checked) next.add(c);
            else next.delete(c);
            props.onChange(next);
          }}
        />
      ))}
    </Stack>
  );
}
