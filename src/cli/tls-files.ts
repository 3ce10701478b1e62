/**
 * `spire engine --tls-cert FILE --tls-key FILE`: the certificate and key
 * the API serves https with, read and checked before anything starts, so
 * that a wrong file is an error naming the option and the file rather than
 * an engine that listens and fails every handshake.
 *
 * The key must not be readable by other users of the machine (as ssh
 * refuses a private key others can read): whoever has it can pose as the
 * engine to its workers and clients, and read the tokens and secrets they
 * send. Group access is allowed, since a group (Debian's ssl-cert, say) is
 * the usual way to let a service read a key it does not own.
 */
import { readFileSync, statSync } from "node:fs";
import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { createSecureContext } from "node:tls";
import { isIP } from "node:net";
import { CliError, EXIT } from "./errors.js";

export interface TlsFiles {
  /** PEM: the certificate, with its chain after it when there is one. */
  cert: string;
  key: string;
  /** The first certificate of the file: the one the engine presents. */
  certificate: X509Certificate;
}

const EXAMPLE = "For example: spire engine --listen 0.0.0.0:7431 --tls-cert /etc/spire/cert.pem --tls-key /etc/spire/key.pem";

export function loadTlsFiles(options: { tlsCert?: string; tlsKey?: string }): TlsFiles | undefined {
  const { tlsCert, tlsKey } = options;
  if (tlsCert === undefined && tlsKey === undefined) return undefined;
  if (tlsCert === undefined || tlsKey === undefined) {
    const [given, missing] = tlsCert === undefined ? ["--tls-key", "--tls-cert"] : ["--tls-cert", "--tls-key"];
    throw new CliError(`${given} needs ${missing} too: https needs both the certificate and its private key`, EXIT.usage, EXAMPLE);
  }
  const cert = readPem("--tls-cert", tlsCert);
  const key = readPem("--tls-key", tlsKey);
  const certificate = parseCertificate(tlsCert, cert);
  const privateKey = parseKey(tlsKey, key);
  checkKeyIsPrivate(tlsKey);
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new CliError(
      `--tls-key ${tlsKey} is not the private key of the certificate in --tls-cert ${tlsCert}`,
      EXIT.usage,
      `Give the key the certificate was made for: openssl x509 -noout -pubkey -in ${tlsCert} and openssl pkey -pubout -in ${tlsKey} print the same public key when they belong together.`,
    );
  }
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new CliError(`--tls-cert ${tlsCert} with --tls-key ${tlsKey} cannot serve https: ${(error as Error).message}`, EXIT.usage, EXAMPLE);
  }
  return { cert, key, certificate };
}

/** Whether clients reaching the engine at `host` (a name or an IP address) will find the certificate valid for it. */
export function certificateCovers(certificate: X509Certificate, host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  return (isIP(bare) ? certificate.checkIP(bare) : certificate.checkHost(bare)) !== undefined;
}

function readPem(option: string, file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "there is no such file" : code === "EACCES" ? "this user may not read it" : code === "EISDIR" ? "it is a folder, not a file" : (error as Error).message;
    throw new CliError(`${option} ${file}: cannot read it: ${why}`, EXIT.usage, EXAMPLE);
  }
}

function checkKeyIsPrivate(file: string): void {
  if (process.platform === "win32") return; // no Unix modes to judge
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o006) === 0) return;
  throw new CliError(
    `--tls-key ${file}: other users of this machine can read or change it (mode ${mode.toString(8).padStart(4, "0")}), and with it pose as this engine`,
    EXIT.usage,
    `Make it yours alone: chmod 600 ${file} (or chmod 640 with a group the engine's user is in, such as ssl-cert).`,
  );
}

function parseCertificate(file: string, pem: string): X509Certificate {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem) && !pem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new CliError(`--tls-cert ${file} holds a private key, not a certificate`, EXIT.usage, "Were the two swapped? --tls-cert takes the certificate (-----BEGIN CERTIFICATE-----), --tls-key its private key.");
  }
  try {
    return new X509Certificate(pem);
  } catch {
    throw new CliError(`--tls-cert ${file} is not a PEM certificate (a file that starts with -----BEGIN CERTIFICATE-----)`, EXIT.usage, EXAMPLE);
  }
}

function parseKey(file: string, pem: string): KeyObject {
  if (pem.includes("-----BEGIN CERTIFICATE-----") && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new CliError(`--tls-key ${file} holds a certificate, not a private key`, EXIT.usage, "Were the two swapped? --tls-cert takes the certificate, --tls-key its private key (-----BEGIN PRIVATE KEY-----).");
  }
  try {
    return createPrivateKey(pem);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ERR_MISSING_PASSPHRASE" || /ENCRYPTED/.test(pem)) {
      throw new CliError(`--tls-key ${file} is encrypted with a passphrase, which the engine has no way to ask for`, EXIT.usage, `Keep a decrypted copy only the engine's user can read: (umask 077; openssl pkey -in ${file} -out key.pem)`);
    }
    throw new CliError(`--tls-key ${file} is not a PEM private key (a file that starts with -----BEGIN PRIVATE KEY-----)`, EXIT.usage, EXAMPLE);
  }
}
