export { type CliConfig, configPath, effectiveConfig, readConfig } from './config.ts';
export { ExitCode } from './exit-codes.ts';
export { main } from './main.ts';
