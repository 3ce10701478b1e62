/**
 * `-f https://…`: the definitions are fetched once, whole, with a time and a
 * size limit; every way it can fail (a bad URL, DNS, refused, TLS, a status
 * other than 200, too slow, too big) is one error naming the URL and saying
 * what to do. Plain http is refused unless asked for (`--allow-http-file`):
 * whoever is on the way could change what runs.
 */
import { MAX_DEFINITIONS_BYTES, tooBig } from "../yaml-source.js";
import type { DefinitionError } from "../errors.js";
import { wholeInputError, type DefinitionsInput } from "./definitions-input.js";

/** The whole fetch, from asking to the last byte. */
export const FETCH_TIMEOUT_MS = 30_000;

const UNTRUSTED = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL/;

export async function fetchDefinitions(given: string, allowHttp: boolean): Promise<DefinitionsInput | DefinitionError> {
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    return wholeInputError(given, "not a URL Spire can read", "give a whole URL, such as https://example.com/spire.yaml, or a file name");
  }
  const name = shownName(url);
  if (url.username !== "" || url.password !== "") {
    return wholeInputError(name, "the URL holds a user name or password", "Spire does not send credentials in a URL; serve the file where it can be read without them");
  }
  if (url.protocol === "http:" && !allowHttp) {
    return wholeInputError(name, "refusing plain http: anyone on the way could change the definitions, and so what runs", "use https://, or pass --allow-http-file if the network is your own");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return wholeInputError(name, `${url.protocol.slice(0, -1)} URLs are not read`, "give an https:// URL, a file name, or - for stdin");
  }
  let response: Response;
  const signal = AbortSignal.timeout(FETCH_TIMEOUT_MS);
  try {
    response = await fetch(url, { signal, redirect: "follow", headers: { accept: "application/yaml, text/yaml, application/json, text/plain, */*" } });
  } catch (error) {
    return fetchFailure(name, error);
  }
  if (new URL(response.url).protocol === "http:" && !allowHttp) {
    await response.body?.cancel();
    return wholeInputError(name, `it redirects to plain http (${shownName(new URL(response.url))}), which is refused`, "use a URL that stays on https, or pass --allow-http-file if the network is your own");
  }
  if (!response.ok) {
    await response.body?.cancel();
    return wholeInputError(name, `the server answered ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`, response.status === 404 ? "check the URL" : "check the URL, and that the server lets this machine read it");
  }
  const declared = Number(response.headers.get("content-length") ?? "NaN");
  if (declared > MAX_DEFINITIONS_BYTES) {
    await response.body?.cancel();
    return tooBig(name, declared);
  }
  try {
    const text = await readLimited(response, name);
    return typeof text === "string" ? { kind: "url", name, text } : text;
  } catch (error) {
    return fetchFailure(name, error);
  }
}

/** The body, read until it passes the limit (a length header can be missing or wrong). */
async function readLimited(response: Response, name: string): Promise<string | DefinitionError> {
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for await (const chunk of response.body ?? []) {
    bytes += chunk.length;
    if (bytes > MAX_DEFINITIONS_BYTES) {
      await response.body?.cancel().catch(() => undefined);
      return tooBig(name, bytes);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function fetchFailure(name: string, error: unknown): DefinitionError {
  const cause = causeOf(error);
  const code = cause?.code ?? "";
  if ((error as Error).name === "TimeoutError" || (cause as Error | undefined)?.name === "TimeoutError") {
    return wholeInputError(name, `no answer within ${FETCH_TIMEOUT_MS / 1000} s`, "check that the server is up, or download the file and pass it with -f FILE");
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return wholeInputError(name, `cannot fetch it: the host name ${new URL(name.replace(/\?…$/, "")).hostname} is not known (${code})`, "check the URL's host name and this machine's DNS");
  }
  if (code === "ECONNREFUSED" || code === "ECONNRESET" || code === "EHOSTUNREACH" || code === "ENETUNREACH") {
    return wholeInputError(name, `cannot fetch it: the connection failed (${code})`, "check that the server is up and reachable from this machine");
  }
  if (UNTRUSTED.test(code)) {
    return wholeInputError(name, `cannot fetch it: the server's certificate is not trusted here (${cause?.message ?? code})`, "if the certificate is your own, trust it here: set NODE_EXTRA_CA_CERTS to its CA's PEM file");
  }
  return wholeInputError(name, `cannot fetch it: ${cause?.message ?? (error instanceof Error ? error.message : String(error))}`, "check the URL, or download the file and pass it with -f FILE");
}

/** The innermost error with a code (fetch wraps what went wrong in a TypeError's cause). */
function causeOf(error: unknown): (Error & { code?: string }) | undefined {
  let found: (Error & { code?: string }) | undefined;
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (typeof (current as NodeJS.ErrnoException).code === "string" || found === undefined) found = current as Error & { code?: string };
  }
  return found;
}

/** The URL as shown and recorded: its query string (which may hold a token) and fragment left out. */
function shownName(url: URL): string {
  return `${url.origin}${url.pathname}${url.search !== "" ? "?…" : ""}`;
}
