/**
 * A file of the data folder that Spire cannot use as it is: the database
 * damaged or held by another program, the secret cut short or readable by
 * others. The user's to set right, not Spire's bug: the CLI prints the
 * message (what is wrong, with the file's path) and the hint (what to do),
 * without a stack, as it prints a full disk.
 */
export class DataFileError extends Error {
  override readonly name: string = "DataFileError";
  constructor(
    readonly file: string,
    message: string,
    /** What to do, as a sentence. */
    readonly hint: string,
  ) {
    super(message);
  }
}
