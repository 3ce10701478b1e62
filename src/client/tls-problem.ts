/**
 * What a failed fetch to an engine says about TLS: its certificate is not
 * trusted here, has expired, names another host, or https met a port that
 * speaks plain http. These are not "the engine is down": trying again does
 * not help, and the user can fix them, so clients say which it is and how.
 * Node's fetch checks certificates against its own CA list plus the PEM
 * file NODE_EXTRA_CA_CERTS names (read when the process starts): that is
 * how a client trusts an engine's self-signed certificate.
 */
export interface TlsProblem {
  message: string;
  hint: string;
}

const UNTRUSTED = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
  "CERT_REJECTED",
]);
const EXPIRED = new Set(["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID"]);

/** The TLS problem behind `error` (fetch's TypeError, whose cause says what happened), or undefined when it is something else. */
export function tlsProblemOf(error: unknown, url: string): TlsProblem | undefined {
  const cause = causeOf(error);
  if (!cause) return undefined;
  const code = cause.code ?? "";
  const host = hostOf(url);
  if (UNTRUSTED.has(code)) {
    return {
      message: `cannot trust the engine at ${url}: this machine does not trust its certificate (${cause.message})`,
      hint: "If the engine's certificate is self-signed, trust it here: set NODE_EXTRA_CA_CERTS to a copy of the engine's --tls-cert file (NODE_EXTRA_CA_CERTS=/path/to/cert.pem).",
    };
  }
  if (EXPIRED.has(code)) {
    return { message: `cannot trust the engine at ${url}: its certificate is out of date (${cause.message})`, hint: "Renew the engine's certificate (spire engine --tls-cert) and restart it; check this machine's clock too." };
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return {
      message: `cannot trust the engine at ${url}: its certificate is not valid for ${nameOf(url)} (${cause.message})`,
      hint: `Use a name or address the certificate has in the engine's URL (--engine, SPIRE_ENGINE), or make the certificate with ${nameOf(url)} in its subjectAltName.`,
    };
  }
  if (code === "ERR_SSL_WRONG_VERSION_NUMBER" || /wrong version number/i.test(cause.message)) {
    return { message: `cannot reach the engine at ${url}: nothing speaks https there (an engine without --tls-cert serves plain http)`, hint: `Use http://${host} for an engine that serves plain http, or start the engine with --tls-cert and --tls-key.` };
  }
  return undefined;
}

function causeOf(error: unknown): { code?: string; message: string } | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === "string" && (UNTRUSTED.has(code) || EXPIRED.has(code) || code.startsWith("ERR_TLS") || code.startsWith("ERR_SSL"))) return { code, message: current.message };
  }
  return undefined;
}

/** host:port */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function nameOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return url;
  }
}
