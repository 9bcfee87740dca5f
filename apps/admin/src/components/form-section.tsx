import { type FormEvent, type ReactNode, useId } from 'react';

/**
 * One form of a page, laid out one way everywhere: its heading, its fields, the line for errors
 * that name no field, and its submit button. `disabledReason` keeps the whole form in view but
 * disabled, with the reason written under the heading: a control a role cannot use is never
 * silently missing.
 */
export function FormSection(props: {
  title: string;
  /** The heading's level in the page's outline (a page's only form sits right under its title). */
  level?: 2 | 3;
  submitLabel: string;
  onSubmit: (event: FormEvent) => void | Promise<void>;
  disabledReason?: string | null;
  submitting?: boolean;
  /** A message about the whole form (field messages go beside their fields, form-errors.tsx). */
  error?: string | null;
  /** Anything after the submit button (a second action, a way to switch forms). */
  after?: ReactNode;
  children: ReactNode;
}) {
  const id = useId();
  const Heading = props.level === 2 ? 'h2' : 'h3';
  const reason = props.disabledReason ?? null;
  return (
    <form
      className="card"
      aria-labelledby={`${id}-title`}
      onSubmit={(event) => {
        event.preventDefault();
        void props.onSubmit(event);
      }}
    >
      <Heading id={`${id}-title`}>{props.title}</Heading>
      {reason !== null && (
        <p className="hint" id={`${id}-why`}>
          {reason}
        </p>
      )}
      <fieldset
        className="plain"
        disabled={reason !== null}
        aria-describedby={reason === null ? undefined : `${id}-why`}
      >
        {props.children}
        {props.error != null && (
          <p className="error" role="alert">
            {props.error}
          </p>
        )}
        <button type="submit" disabled={props.submitting === true}>
          {props.submitLabel}
        </button>
      </fieldset>
      {props.after}
    </form>
  );
}
