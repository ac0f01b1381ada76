/** A build step's failure, with the exit code the CLI exits with (a failed RUN's own). */
export class BuildStepError extends Error {
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message);
    this.name = 'BuildStepError';
  }
}
