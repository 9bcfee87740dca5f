import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { createClient } from 'graphql-ws';

/** One Apollo Client for the console: HTTP for queries and mutations, graphql-ws for subscriptions. */
export function createApolloClient(getToken: () => string | null): ApolloClient {
  const http = new HttpLink({ uri: '/graphql' });
  const auth = new SetContextLink((prev) => {
    const token = getToken();
    return token === null ? prev : { headers: { ...prev.headers, authorization: `Bearer ${token}` } };
  });
  const wsUrl = `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/graphql`;
  const ws = new GraphQLWsLink(
    createClient({
      url: wsUrl,
      connectionParams: () => {
        const token = getToken();
        return token === null ? {} : { authorization: `Bearer ${token}` };
      },
    }),
  );
  const link = ApolloLink.split(
    ({ query }) => {
      const definition = getMainDefinition(query);
      return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
    },
    ws,
    auth.concat(http),
  );
  return new ApolloClient({ link, cache: new InMemoryCache() });
}
