export { WeftClient, type WeftClientOptions } from './client.ts';
export {
  ClientErrorCode,
  GraphQLRequestError,
  NetworkError,
  type UserErrorInfo,
  UserInputError,
  WeftError,
} from './errors.ts';
export { type FollowOptions, followExecution, TERMINAL_EVENT_TYPES } from './follow.ts';
export * from './generated/operations.ts';
