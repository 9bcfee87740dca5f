export { signUpUser, type TestUser } from './accounts.ts';
export { codes, type GraphqlResult, startTestApi, TEST_SECRET_KEY, type TestApi, TestClient } from './api.ts';
export { createEmptyDatabase, createTestDatabase, TEST_SERVER_URL, type TestDatabase } from './database.ts';
export {
  freePort,
  REPO_ROOT,
  runToExit,
  type ServerProcess,
  startServerProcess,
  waitForStatus,
} from './process.ts';
