/** Exit codes of the CLI: 0 the run succeeded, 1 it failed or was cancelled, 2 invalid workflow or usage. */
export const EXIT = { OK: 0, FAILED: 1, INVALID: 2 } as const;
