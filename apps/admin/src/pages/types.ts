// The shapes of the data the console's queries select (see graphql/operations.ts).

export type Role = 'ADMIN' | 'MEMBER' | 'VIEWER';
export const ROLES: readonly Role[] = ['ADMIN', 'MEMBER', 'VIEWER'];

export interface ViewerData {
  viewer: {
    id: string;
    email: string;
    name: string | null;
    memberships: { role: Role; workspace: { id: string; slug: string; name: string } }[];
  } | null;
}

export interface Member {
  role: Role;
  user: { id: string; email: string; name: string | null };
}

export interface WorkspaceData {
  workspace: {
    id: string;
    slug: string;
    name: string;
    viewerRole: Role;
    members: { edges: { node: Member }[] };
  } | null;
}

export interface PlanVersionRow {
  id: string;
  number: number;
  parentNumber: number | null;
  message: string | null;
  createdAt: string;
  contentHash: string;
  createdBy: { email: string } | null;
}

export interface PlansData {
  workspace: {
    id: string;
    plans: {
      edges: {
        node: {
          id: string;
          name: string;
          latestVersion: { id: string; number: number; message: string | null; createdAt: string };
        };
      }[];
    };
  } | null;
}

export interface PlanVersionsData {
  node: { id: string; versions?: { edges: { node: PlanVersionRow }[] } } | null;
}

export interface ExecutionsData {
  workspace: {
    id: string;
    executions: {
      edges: {
        node: {
          id: string;
          status: string;
          mode: string;
          createdAt: string;
          finishedAt: string | null;
          error: string | null;
          planVersion: { number: number; plan: { name: string } };
        };
      }[];
    };
    approvals: {
      edges: {
        node: {
          id: string;
          stepId: string;
          status: string;
          message: string | null;
          approvers: Role[];
          execution: { id: string };
        };
      }[];
    };
  } | null;
}

export interface AuditData {
  workspace: {
    id: string;
    auditLog: {
      edges: {
        node: {
          id: string;
          action: string;
          targetId: string | null;
          at: string;
          data: unknown;
          actor: { email: string } | null;
        };
      }[];
    };
  } | null;
}
