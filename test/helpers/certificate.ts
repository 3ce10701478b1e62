/** Self-signed certificates for tests of an engine that serves https, made with openssl as a user would. */
import { chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";

export interface CertificateFiles {
  cert: string;
  /** Mode 0600: the engine refuses a key other users can read. */
  key: string;
}

/** A self-signed certificate for these names (IP addresses or DNS names), and its key, in `dir`; `stem` names the files. */
export function makeCertificate(dir: string, names: string[], stem = ""): CertificateFiles {
  mkdirSync(dir, { recursive: true });
  const cert = join(dir, `${stem}cert.pem`);
  const key = join(dir, `${stem}key.pem`);
  const alt = names.map((name) => (/^[\d.]+$|:/.test(name) ? `IP:${name}` : `DNS:${name}`)).join(",");
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=spire test engine", "-addext", `subjectAltName=${alt}`, "-keyout", key, "-out", cert], { stdio: "pipe" });
  chmodSync(key, 0o600);
  return { cert, key };
}
