import { createGraphQLError, type Plugin } from 'graphql-yoga';

export interface RequestTimeoutPluginOptions {
  timeoutMs: number;
}

/**
 * An operation that runs longer than `timeoutMs` answers a clear error instead of hanging.
 * Every query pays for this, so it costs one promise and one timer: an operation that finished
 * synchronously cannot hang and gets neither.
 */
export function useRequestTimeout(options: RequestTimeoutPluginOptions): Plugin {
  return {
    onExecute({ executeFn, setExecuteFn }) {
      setExecuteFn((args) => {
        const running = executeFn(args);
        if (!(running instanceof Promise)) return running;
        return new Promise((resolve, reject) => {
          const timer = setTimeout(
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
          running.then(
            (result) => {
              clearTimeout(timer);
              resolve(result);
            },
            (error: unknown) => {
              clearTimeout(timer);
              reject(error);
            },
          );
        });
      });
    },
  };
}
