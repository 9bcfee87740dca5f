import { gql } from '@apollo/client';

// Marketplace, secrets, planner and A/B operations, as a client app would write them.

export const PUBLISH_PLUGIN = gql`
  mutation PublishPlugin($input: PublishPluginInput!) {
    publishPlugin(input: $input) {
      pluginVersion { id version integrity capabilities plugin { id name publisher } }
      userErrors { code field message }
    }
  }
`;
export const MARKETPLACE = gql`
  query Marketplace($search: String, $first: Int, $after: String) {
    marketplace(search: $search, first: $first, after: $after) {
      edges {
        cursor
        node {
          id name publisher description
          versions { id version capabilities optionalCapabilities integrity tools { name description inputSchema outputSchema } }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`;
export const INSTALL_PLUGIN = gql`
  mutation InstallPlugin($input: InstallPluginInput!) {
    installPlugin(input: $input) {
      installation { id grantedCapabilities enabled pluginVersion { id version plugin { name } } }
      userErrors { code field message }
    }
  }
`;
export const UPGRADE_PLUGIN = gql`
  mutation UpgradePlugin($input: UpgradePluginInput!) {
    upgradePlugin(input: $input) {
      installation { id grantedCapabilities pluginVersion { id version } }
      userErrors { code field message }
    }
  }
`;
export const UNINSTALL_PLUGIN = gql`
  mutation UninstallPlugin($input: UninstallPluginInput!) {
    uninstallPlugin(input: $input) {
      installation { id pluginVersion { version plugin { name } } }
      userErrors { code field message }
    }
  }
`;
export const SET_SECRET = gql`
  mutation SetSecret($input: SetSecretInput!) {
    setSecret(input: $input) {
      secret { name updatedAt }
      userErrors { code field message }
    }
  }
`;
export const DELETE_SECRET = gql`
  mutation DeleteSecret($input: DeleteSecretInput!) {
    deleteSecret(input: $input) {
      secret { name }
      userErrors { code field message }
    }
  }
`;
export const WORKSPACE_TOOLS = gql`
  query WorkspaceTools($slug: String!) {
    workspace(slug: $slug) {
      tools {
        name description inputSchema outputSchema
        plugin { id version plugin { name } }
        stats { calls failures retries p50Ms p95Ms }
      }
      installedPlugins { id grantedCapabilities enabled pluginVersion { id version plugin { name } } }
    }
  }
`;
export const DRAFT_PLAN = gql`
  mutation DraftPlan($input: DraftPlanInput!) {
    draftPlan(input: $input) {
      spec explanation planner attempts
      usage { promptTokens completionTokens totalTokens requests }
      userErrors { code field message }
    }
  }
`;
export const START_AB_EXECUTION = gql`
  mutation StartAbExecution($input: StartAbExecutionInput!) {
    startAbExecution(input: $input) {
      execution { id status }
      version { number }
      arm
      userErrors { code field message }
    }
  }
`;
export const EXECUTION = gql`
  query Execution($id: ID!) {
    node(id: $id) {
      ... on Execution { id status error steps { stepId status output error } }
    }
  }
`;
export const COMPARE_VERSIONS = gql`
  query CompareVersions($id: ID!, $a: Int!, $b: Int!) {
    node(id: $id) {
      ... on Plan {
        compareVersions(a: $a, b: $b) {
          a { number runs finished succeeded failed successRate p50Ms p95Ms version { number } }
          b { number runs finished succeeded failed successRate p50Ms p95Ms version { number } }
          zScore significant
        }
      }
    }
  }
`;
