import { CombinedGraphQLErrors } from '@apollo/client';
import type { UserErrorsFragment } from './graphql/generated/graphql.ts';

/** A mutation's expected failure, as the API's `userErrors` carry it (fragment UserErrors). */
export type UserError = Omit<UserErrorsFragment, '__typename'>;

/** One line for a payload's userErrors, or null when there are none. */
export function describeUserErrors(errors: readonly UserError[] | undefined): string | null {
  if (errors === undefined || errors.length === 0) return null;
  return errors.map((e) => (e.field ? `${e.field.join('.')}: ${e.message}` : e.message)).join('; ');
}

const CODE_TEXT: Record<string, string> = {
  UNAUTHENTICATED: 'You are not signed in (or your session expired).',
  FORBIDDEN: 'Your role in this workspace does not allow this.',
  NOT_FOUND: 'Not found.',
};

/** One line for a thrown GraphQL or network error, naming the API's error code when it has one. */
export function describeError(error: unknown): string {
  if (CombinedGraphQLErrors.is(error)) {
    return error.errors
      .map((e) => {
        const code = typeof e.extensions?.code === 'string' ? e.extensions.code : undefined;
        const text = code !== undefined ? (CODE_TEXT[code] ?? e.message) : e.message;
        return code !== undefined ? `${code}: ${text}` : text;
      })
      .join('; ');
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs a mutation and turns both kinds of failure into one message: `problem` is null on success,
 * and `value` is what `pick` took from the result (undefined when the mutation threw).
 */
export async function attempt<T, V>(
  run: () => Promise<T>,
  pick: (result: T) => { userErrors: UserError[] | undefined; value?: V },
): Promise<{ problem: string | null; value: V | undefined; userErrors: UserError[] }> {
  try {
    const picked = pick(await run());
    return {
      problem: describeUserErrors(picked.userErrors),
      value: picked.value,
      userErrors: picked.userErrors ?? [],
    };
  } catch (error) {
    return { problem: describeError(error), value: undefined, userErrors: [] };
  }
}

/**
 * Places a mutation's userErrors beside the form's fields: `byField` has the message for each of
 * `fields` the API named (by the first segment of its path); `rest` is one line for the others.
 */
export function placeUserErrors(
  errors: readonly UserError[],
  fields: readonly string[],
): { byField: Record<string, string>; rest: string | null } {
  const byField: Record<string, string> = {};
  const rest: UserError[] = [];
  for (const e of errors) {
    const field = e.field?.[0];
    if (field !== undefined && fields.includes(field)) {
      byField[field] = byField[field] === undefined ? e.message : `${byField[field]} ${e.message}`;
    } else rest.push(e);
  }
  return { byField, rest: describeUserErrors(rest) };
}
