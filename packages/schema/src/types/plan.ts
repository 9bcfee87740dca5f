import { resolveOffsetConnection } from '@pothos/plugin-relay';
import { diffPlans, type PlanDiff, type PlanSpec } from '@weft/engine';
import { builder } from '../builder.ts';
import { inTenant, type SchemaContext } from '../context.ts';
import { notFound } from '../errors.ts';
import { PAGE } from '../keyset-page.ts';
import { COLUMNS, type PlanVersionRow, toRow } from '../rows.ts';
import { PlanRef, PlanVersionRef } from './refs.ts';

export const PlanVersionConnection = builder.connectionObject({
  type: PlanVersionRef,
  name: 'PlanVersionConnection',
});

const PlanDiffRef = builder.objectRef<PlanDiff>('PlanDiff').implement({
  description: 'Step ids added, removed and changed, from the `against` version to this one.',
  fields: (t) => ({
    added: t.exposeStringList('added'),
    removed: t.exposeStringList('removed'),
    changed: t.exposeStringList('changed'),
  }),
});

interface VersionKey {
  workspaceId: string;
  planId: string;
  number: number;
}

/** Loads versions by (workspace, plan, number): one query per workspace for a whole page of plans. */
async function loadVersions(ctx: SchemaContext, keys: readonly VersionKey[]): Promise<(PlanVersionRow | null)[]> {
  const byWorkspace = new Map<string, VersionKey[]>();
  for (const key of keys) byWorkspace.set(key.workspaceId, [...(byWorkspace.get(key.workspaceId) ?? []), key]);
  const found = new Map<string, PlanVersionRow>();
  const id = (k: { workspaceId: string; planId: string; number: number }) => `${k.workspaceId}:${k.planId}:${k.number}`;
  await Promise.all(
    [...byWorkspace].map(([workspaceId, list]) =>
      inTenant(ctx, workspaceId, async (client) => {
        const { rows } = await client.query(
          `SELECT ${COLUMNS.planVersion} FROM plan_versions v
             JOIN unnest($1::uuid[], $2::int[]) AS k(plan_id, number) USING (plan_id, number)`,
          [list.map((k) => k.planId), list.map((k) => k.number)],
        );
        for (const row of rows) {
          const version = toRow<PlanVersionRow>(row);
          found.set(id(version), version);
        }
      }),
    ),
  );
  return keys.map((k) => found.get(id(k)) ?? null);
}

builder.objectFields(PlanRef, (t) => ({
  latestVersion: t.loadable({
    type: PlanVersionRef,
    load: async (keys: VersionKey[], ctx) => (await loadVersions(ctx, keys)).map((v) => v ?? notFound()),
    resolve: (p) => ({ workspaceId: p.workspaceId, planId: p.id, number: p.latestVersion }),
  }),
  version: t.field({
    type: PlanVersionRef,
    nullable: true,
    args: { number: t.arg.int({ required: true }) },
    resolve: async (p, args, ctx) =>
      (await loadVersions(ctx, [{ workspaceId: p.workspaceId, planId: p.id, number: args.number }]))[0] ?? null,
  }),
  versions: t.connection(
    {
      type: PlanVersionRef,
      resolve: (p, args, ctx) =>
        resolveOffsetConnection({ args, ...PAGE }, ({ offset, limit }) =>
          inTenant(ctx, p.workspaceId, async (client) => {
            const { rows } = await client.query(
              `SELECT ${COLUMNS.planVersion} FROM plan_versions WHERE plan_id = $1
                ORDER BY number DESC LIMIT $2 OFFSET $3`,
              [p.id, limit, offset],
            );
            return rows.map((r) => toRow<PlanVersionRow>(r));
          }),
        ),
    },
    PlanVersionConnection,
  ),
}));

builder.objectFields(PlanVersionRef, (t) => ({
  diff: t.field({
    type: PlanDiffRef,
    args: { against: t.arg.int({ required: true, description: 'The version number to compare with.' }) },
    resolve: async (v, args, ctx) => {
      const [base] = await loadVersions(ctx, [{ workspaceId: v.workspaceId, planId: v.planId, number: args.against }]);
      if (base === null || base === undefined) throw notFound();
      return diffPlans(base.spec as PlanSpec, v.spec as PlanSpec);
    },
  }),
}));
