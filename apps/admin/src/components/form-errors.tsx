import { useState } from 'react';
import { placeUserErrors, type UserError } from '../errors.ts';

/**
 * A form's errors: the API's userErrors beside the fields they name, anything else (other
 * userErrors, GraphQL or network errors) as one line for the whole form.
 */
export function useFormErrors(fields: readonly string[]) {
  const [byField, setByField] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  return {
    formError,
    fieldError: (field: string): string | null => byField[field] ?? null,
    report(outcome: { problem: string | null; userErrors: UserError[] }) {
      if (outcome.userErrors.length === 0) {
        setByField({});
        setFormError(outcome.problem);
        return;
      }
      const placed = placeUserErrors(outcome.userErrors, fields);
      setByField(placed.byField);
      setFormError(placed.rest);
    },
    clear() {
      setByField({});
      setFormError(null);
    },
  };
}

/** The message for one field, shown right under it and announced. */
export function FieldError({ message }: { message: string | null }) {
  if (message === null) return null;
  return (
    <span className="field-error" role="alert">
      {message}
    </span>
  );
}
