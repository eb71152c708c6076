import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** PEM text and file paths of the committed test certificates (see `certs/make-certs.sh`). */
export interface TestTls {
  /** The test CA's certificate: give it to clients as `ca`. */
  ca: string;
  /** The server certificate (signed by the test CA) for `localhost`, `127.0.0.1` and `::1`. */
  cert: string;
  /** The server certificate's private key (EC P-256). */
  key: string;
  /** The same three as file paths, for servers configured by path (`--tls-cert`, `--tls-key`). */
  files: { ca: string; cert: string; key: string };
}

const file = (name: string) => fileURLToPath(new URL(`../certs/${name}`, import.meta.url));
const files = { ca: file("ca.pem"), cert: file("server.pem"), key: file("server-key.pem") };

/**
 * Committed long-lived test certificates (valid 2000–2125): a CA and a server certificate it signed. Tests read
 * them, so no test shells out to `openssl`. Test use only: the key is public.
 */
export const testTls: TestTls = {
  ca: readFileSync(files.ca, "utf8"),
  cert: readFileSync(files.cert, "utf8"),
  key: readFileSync(files.key, "utf8"),
  files,
};
