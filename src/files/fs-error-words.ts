/**
 * What a file system's error code means, in words a person can act on.
 * The callers say in their own words what the code means in their case
 * (ENOENT: "does not exist" for a file read, "no folders there" for a
 * folder made); these are the meanings every case shares.
 */
export function fsErrorWords(code: string | undefined): string {
  switch (code) {
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EROFS":
      return "the file system is read-only";
    case "ENOTDIR":
      return "a part of its path is a file, not a folder";
    case "EEXIST":
      return "a file of that name is in the way";
    case "EISDIR":
      return "it is a folder, not a file";
    case "ENOSPC":
    case "EDQUOT":
      return "the disk is full";
    case "ENAMETOOLONG":
      return "its name is too long";
    case "ELOOP":
      return "its path has too many links";
    default:
      return code ?? "unknown error";
  }
}
