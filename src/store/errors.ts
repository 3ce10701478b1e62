/**
 * Typed store errors: only those that drive a decision elsewhere (the CLI
 * and engine tell the user to upgrade instead of printing a stack).
 */

/** The database carries migrations this build of Spire does not know. */
export class SchemaTooNewError extends Error {
  override readonly name = "SchemaTooNewError";
  constructor(
    readonly where: string,
    readonly found: number,
    readonly known: number,
  ) {
    super(
      `${where}: this database was written by a newer Spire (schema ${found}; this one knows ${known}): upgrade Spire`,
    );
  }
}

/** A state change names a run that is not in the store. */
export class RunNotFoundError extends Error {
  override readonly name = "RunNotFoundError";
  constructor(readonly runId: string) {
    super(`store: no run with id ${JSON.stringify(runId)}`);
  }
}

/** A token not revoked already has this name: the user picks another or revokes that one. */
export class TokenNameTakenError extends Error {
  override readonly name = "TokenNameTakenError";
  constructor(readonly tokenName: string) {
    super(`store: a token named ${JSON.stringify(tokenName)} exists: choose another name or revoke it first`);
  }
}
