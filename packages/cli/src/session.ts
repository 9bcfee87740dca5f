import {
  PlansDocument,
  type PlansQuery,
  type PlansQueryVariables,
  type PlanVersionFieldsFragment,
  WeftClient,
  WorkspaceDocument,
} from '@weft/client';
import { type CliConfig, effectiveConfig } from './config.ts';
import { CliError, ExitCode } from './exit-codes.ts';
import { Output } from './output.ts';

export interface GlobalOptions {
  json?: boolean;
  url?: string;
  workspace?: string;
}

export interface PlanSummary {
  id: string;
  name: string;
  latestVersion: PlanVersionFieldsFragment;
}

/** One command's view of the server: the configured client, workspace and output. */
export class Session {
  private constructor(
    readonly config: CliConfig,
    readonly client: WeftClient,
    readonly out: Output,
    private readonly workspaceSlug: string | undefined,
  ) {}

  static async open(options: GlobalOptions): Promise<Session> {
    const config = await effectiveConfig();
    const url = options.url ?? config.url;
    const out = new Output(options.json === true);
    if (url === undefined)
      throw new CliError('no server: run `weft login --url URL ...` or set WEFT_URL', ExitCode.AUTH);
    return new Session(
      config,
      new WeftClient({ url, token: config.token }),
      out,
      options.workspace ?? config.workspace,
    );
  }

  async workspace(): Promise<{ id: string; slug: string }> {
    const slug = this.workspaceSlug;
    if (slug === undefined) {
      throw new CliError('no workspace: run `weft workspace use SLUG` or pass --workspace', ExitCode.USAGE);
    }
    const { workspace } = await this.client.request(WorkspaceDocument, { slug });
    if (workspace === null) throw new CliError(`workspace "${slug}" not found`, ExitCode.NOT_FOUND, 'NOT_FOUND');
    return workspace;
  }

  /** Every plan of the workspace, following the pages. */
  async plans(): Promise<PlanSummary[]> {
    const { slug } = await this.workspace();
    const plans: PlanSummary[] = [];
    let after: string | null = null;
    for (;;) {
      const variables: PlansQueryVariables = { slug, after };
      const result: PlansQuery = await this.client.request(PlansDocument, variables);
      const page = result.workspace?.plans;
      if (page === undefined) return plans;
      for (const edge of page.edges) plans.push(edge.node);
      if (!page.pageInfo.hasNextPage) return plans;
      after = page.pageInfo.endCursor;
    }
  }

  async plan(name: string): Promise<PlanSummary | null> {
    return (await this.plans()).find((p) => p.name === name) ?? null;
  }

  async requirePlan(name: string): Promise<PlanSummary> {
    const plan = await this.plan(name);
    if (plan === null) throw new CliError(`plan "${name}" not found`, ExitCode.NOT_FOUND, 'NOT_FOUND');
    return plan;
  }
}
