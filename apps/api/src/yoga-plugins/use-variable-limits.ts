import { jsonSizeIssues } from '@weft/engine';
import { type DocumentNode, GraphQLError, getOperationAST, Kind } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export interface VariableLimits {
  /** UTF-8 bytes of all variables of one operation, as JSON. */
  maxBytes: number;
  /** UTF-8 bytes of any one string in them. */
  maxStringBytes: number;
}

export interface VariableLimitsPluginOptions extends VariableLimits {
  /**
   * Root fields that take one text larger than `maxStringBytes` (a plugin bundle), with its own
   * limit: an operation made only of such fields may hold one string that long, and that much more
   * in total. Their resolvers check the exact limit; this only keeps the net from catching them.
   */
  largeStringFields?: Readonly<Record<string, number>>;
}

/** Values and nesting far beyond any real operation's variables: the bytes are the limit that matters. */
const STRUCTURE = { maxDepth: 64, maxValues: 200_000 } as const;

/** The limits that apply to `document`'s operation: the defaults, or raised for large-text fields. */
export function limitsFor(
  document: DocumentNode,
  operationName: string | null | undefined,
  options: VariableLimitsPluginOptions,
): VariableLimits {
  const large = options.largeStringFields;
  if (large === undefined) return options;
  const operation = getOperationAST(document, operationName);
  if (operation === null || operation === undefined || operation.operation !== 'mutation') return options;
  let extra = 0;
  for (const selection of operation.selectionSet.selections) {
    const limit = selection.kind === Kind.FIELD ? large[selection.name.value] : undefined;
    if (limit === undefined) return options;
    extra = Math.max(extra, limit);
  }
  return { maxBytes: options.maxBytes + extra, maxStringBytes: Math.max(options.maxStringBytes, extra) };
}

/** Why `variables` are refused under `limits`, or null when they are within them. */
export function variablesRefusal(variables: unknown, limits: VariableLimits): GraphQLError | null {
  if (variables === null || variables === undefined) return null;
  const issue = jsonSizeIssues(variables, { ...limits, ...STRUCTURE })[0];
  if (issue === undefined) return null;
  const where = issue.path.length === 0 ? 'The variables' : `Variable "$${issue.path.join('.')}"`;
  return new GraphQLError(`${where}: ${issue.message}`, {
    extensions: { code: 'VARIABLES_TOO_LARGE', path: issue.path },
  });
}

/**
 * Bounds an operation's variables before graphql-js coerces them, i.e. before any resolver or
 * scalar sees them, over HTTP and WebSocket alike (both go through envelop's execute/subscribe).
 * The body limit bounds a request as a whole; this bounds what one text in it may cost the
 * resolvers that read it.
 */
export function useVariableLimits(options: VariableLimitsPluginOptions): Plugin {
  const refusal = (args: {
    document: DocumentNode;
    operationName?: string | null;
    variableValues?: unknown;
  }): GraphQLError | null =>
    args.variableValues === null || args.variableValues === undefined
      ? null
      : variablesRefusal(args.variableValues, limitsFor(args.document, args.operationName, options));
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const error = refusal(args);
      if (error !== null) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const error = refusal(args);
      if (error !== null) setResultAndStopExecution({ errors: [error] });
    },
  };
}
