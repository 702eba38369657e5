/** Exit codes of `wa-verify` (API.md, Operations → CLI). */
export const EXIT_OK = 0;
/** A domain error (not_found, validation_failed…), an unusable configuration or database, a failed check. */
export const EXIT_FAILURE = 1;
/** Bad arguments: usage on stderr. */
export const EXIT_USAGE = 2;

/** A failure the CLI reports as one line `wa-verify: <code>: <message>` and exit code 1. */
export class CliFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CliFailure';
  }
}
