/**
 * A service cannot start for a reason its operator must fix outside Chorus (the database named in
 * DATABASE_URL does not exist, Postgres cannot be reached or refuses the credentials). The entry
 * points print its message as one line instead of a stack trace (exitOnStartupError).
 */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/** EX_UNAVAILABLE (sysexits.h): a service this one needs is unavailable. */
const EXIT_UNAVAILABLE = 69;

/** For an entry point's startup: a StartupError ends the process with one line; anything else is rethrown. */
export function exitOnStartupError(err: unknown): never {
  if (err instanceof StartupError) {
    process.stderr.write(`chorus: ${err.message}\n`);
    process.exit(EXIT_UNAVAILABLE);
  }
  throw err;
}
