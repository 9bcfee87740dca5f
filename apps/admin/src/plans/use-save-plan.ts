import { useMutation } from '@apollo/client/react';
import { attempt } from '../errors.ts';
import { CREATE_PLAN, UPDATE_PLAN } from '../graphql/operations.ts';
import type { SaveOutcome } from './spec-save-form.tsx';

/** What a successful save answers: the plan and the number of the version it wrote. */
export interface Saved {
  planId: string;
  number: number;
}

/**
 * Saving a spec: as a new plan (createPlan, version 1) or as the next version of one
 * (updatePlan). Both answer the same payload, so the form treats them alike.
 */
export function useSavePlan() {
  const [create] = useMutation(CREATE_PLAN);
  const [update] = useMutation(UPDATE_PLAN, { refetchQueries: ['PlanPage'] });
  const pick = (
    payload:
      | { plan: { id: string } | null; version: { number: number } | null; userErrors: SaveOutcome['userErrors'] }
      | undefined,
  ) => ({
    userErrors: payload?.userErrors,
    value: payload?.plan && payload.version ? { planId: payload.plan.id, number: payload.version.number } : undefined,
  });
  return {
    create: (input: { workspaceId: string; name: string; spec: unknown; message: string }) =>
      attempt(
        () => create({ variables: { input: { ...input, message: input.message || null } } }),
        (r) => pick(r.data?.payload),
      ),
    update: (input: { planId: string; spec: unknown; message: string }) =>
      attempt(
        () => update({ variables: { input: { ...input, message: input.message || null } } }),
        (r) => pick(r.data?.payload),
      ),
  };
}
