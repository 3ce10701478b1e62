/** Where a PostgreSQL store keeps its data, as GET /engine and errors show it: never with a password. */

/** The URL without its password (in the user part or as a parameter), with the schema when there is one. */
export function locationOf(url: string, schema?: string): string {
  const where = withoutPassword(url);
  return schema === undefined ? where : `${where} (schema ${schema})`;
}

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = "";
    for (const name of ["password", "sslpassword"]) parsed.searchParams.delete(name);
    return parsed.toString();
  } catch {
    // Not a URL the WHATWG parser reads: cut what could be a password (between `user:` and `@`, or a password= parameter).
    return url.replace(/\/\/([^/@:]*):[^/@]*@/, "//$1@").replace(/([?&](?:ssl)?password=)[^&]*/gi, "$1");
  }
}

/** Refuses what is not a PostgreSQL URL, before the driver tries (and names it as it stands, password and all, in its error). */
export function assertPostgresUrl(url: string): void {
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    throw new Error(`store: ${locationOf(url)} is not a PostgreSQL URL: write it as postgres://user@host:5432/database`);
  }
}
