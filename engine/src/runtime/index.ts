export { ConmonRuntime, type ConmonRuntimeOptions } from './conmon-runtime.js';
export { checkDependencies, defaultConmonPath, defaultRuntimePath } from './dependencies.js';
export { readLogs } from './logs.js';
export type {
  AttachStream,
  CreateTaskOptions,
  ExitStatus,
  LogEntry,
  LogReadOptions,
  OutputFrame,
  Runtime,
  TaskStatus,
} from './types.js';
