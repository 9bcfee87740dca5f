export { createEmptyDatabase, createTestDatabase, TEST_SERVER_URL, type TestDatabase } from './database.ts';
export {
  createPlanVersion,
  createWorkspace,
  type ExecutionSnapshot,
  eventually,
  readExecution,
  waitForExecution,
} from './engine.ts';
export {
  freePort,
  REPO_ROOT,
  runToExit,
  type ServerProcess,
  startServerProcess,
  waitForStatus,
} from './process.ts';
