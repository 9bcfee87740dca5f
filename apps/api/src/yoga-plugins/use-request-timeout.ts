import { createGraphQLError, type Plugin } from 'graphql-yoga';

export interface RequestTimeoutPluginOptions {
  timeoutMs: number;
}

/** An operation that runs longer than `timeoutMs` answers a clear error instead of hanging. */
export function useRequestTimeout(options: RequestTimeoutPluginOptions): Plugin {
  return {
    onExecute({ executeFn, setExecuteFn }) {
      setExecuteFn(async (args) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<{ errors: ReturnType<typeof createGraphQLError>[] }>((resolve) => {
          timer = setTimeout(
            () =>
              resolve({
                errors: [
                  createGraphQLError(`The operation took longer than ${options.timeoutMs} ms and was stopped.`, {
                    extensions: { code: 'TIMEOUT' },
                  }),
                ],
              }),
            options.timeoutMs,
          );
        });
        try {
          return await Promise.race([executeFn(args), timeout]);
        } finally {
          clearTimeout(timer);
        }
      });
    },
  };
}
