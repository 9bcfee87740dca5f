export { signUpUser, type TestUser } from './accounts.ts';
export { codes, type GraphqlResult, startTestApi, TEST_SECRET_KEY, type TestApi, TestClient } from './api.ts';
export { createEmptyDatabase, createTestDatabase, TEST_SERVER_URL, type TestDatabase } from './database.ts';
export {
  createPlanVersion,
  createWorkspace,
  type ExecutionSnapshot,
  eventually,
  readExecution,
  startRun,
  waitForExecution,
} from './engine.ts';
export {
  chatCompletion,
  errorReply,
  type FakeOpenAI,
  type FakeOpenAIReply,
  type FakeOpenAIRequest,
  type FakeOpenAIScript,
  startFakeOpenAI,
} from './fake-openai.ts';
export { type HttpReceiver, type ReceivedRequest, startHttpReceiver } from './http-receiver.ts';
export { postGraphqlFrom } from './post-from.ts';
export {
  freePort,
  REPO_ROOT,
  runToExit,
  type ServerProcess,
  startServerProcess,
  startWorkerProcess,
  type WorkerProcess,
  waitForStatus,
} from './process.ts';
export { type SeedAttempt, type SeedExecution, type SeedStep, seedExecution, seedPlan } from './run-history.ts';
export { recordOnlyWebhookStart } from './webhook-start.ts';
