/**
 * A file the CLI makes for the user (spire init, spire import -o): written
 * only when nothing is there yet, private like everything Spire writes.
 */
import { writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { PRIVATE_FILE_MODE } from "../files/private.js";
import { CliError, EXIT } from "./errors.js";

/** `file` as the user gave it; `option`: how to name another file (`-f`, `-o`), for the hint when this one exists. */
export async function writeNewFile(file: string, text: string, option: { flag: string; example: string }): Promise<void> {
  try {
    // "wx": the check and the write are one step, so a file made meanwhile is never overwritten either.
    await writeFile(resolve(file), text, { flag: "wx", mode: PRIVATE_FILE_MODE });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      throw new CliError(`${file} already exists: nothing was written`, EXIT.usage, `Choose another name with ${option.flag}: ${option.example}`);
    }
    if (code === "ENOENT") throw new CliError(`cannot write ${file}: the folder ${dirname(resolve(file))} does not exist`, EXIT.usage, `Create it first, or choose another place with ${option.flag}.`);
    if (code === "EISDIR") throw new CliError(`cannot write ${file}: it is a folder`, EXIT.usage, `Name a file with ${option.flag}: ${option.example}`);
    if (code === "EACCES" || code === "EPERM" || code === "EROFS") throw new CliError(`cannot write ${file}: permission denied`, EXIT.usage, `Choose a place you can write to with ${option.flag}.`);
    throw error;
  }
}
