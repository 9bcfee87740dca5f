import { Button, type ButtonProps, Group, Modal, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import type { ReactNode } from 'react';

/**
 * A destructive action asks first (cancel, roll back, delete...). `disabledReason` disables it and
 * repeats why in its title; the page writes the reason beside it too (a tooltip alone is not read
 * on a phone): a control a role cannot use is never silently missing.
 */
export function ConfirmButton(
  props: {
    label: string;
    question: ReactNode;
    /** The confirming button's text; "Yes, <label>" by default. */
    confirmLabel?: string;
    onConfirm: () => void | Promise<void>;
    disabledReason?: string | null;
    loading?: boolean;
    /** The button's accessible name when its label alone is ambiguous (e.g. "Remove" in every row). */
    ariaLabel?: string;
  } & Pick<ButtonProps, 'color' | 'variant' | 'size'>,
) {
  const [opened, { open, close }] = useDisclosure(false);
  const disabled = props.disabledReason !== undefined && props.disabledReason !== null;
  return (
    <>
      <Button
        size={props.size ?? 'xs'}
        color={props.color}
        variant={props.variant ?? 'light'}
        disabled={disabled}
        loading={props.loading}
        onClick={open}
        aria-label={props.ariaLabel}
        title={disabled ? (props.disabledReason ?? undefined) : undefined}
      >
        {props.label}
      </Button>
      <Modal opened={opened} onClose={close} title={`${props.label}?`} centered>
        <Text size="sm">{props.question}</Text>
        <Group justify="flex-end" mt="md">
          <Button variant="default" onClick={close}>
            Keep it
          </Button>
          <Button
            color={props.color ?? 'red'}
            onClick={() => {
              close();
              void props.onConfirm();
            }}
          >
            {props.confirmLabel ?? `Yes, ${props.label.toLowerCase()}`}
          </Button>
        </Group>
      </Modal>
    </>
  );
}
