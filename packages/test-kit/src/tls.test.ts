import { createPrivateKey, X509Certificate } from "node:crypto";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { connect, createServer } from "node:tls";
import { describe, expect, it } from "vitest";
import { testTls } from "./tls.js";

describe("the committed test certificates", () => {
  it("are a CA and a server certificate it issued, valid for a century", () => {
    const ca = new X509Certificate(testTls.ca);
    const cert = new X509Certificate(testTls.cert);
    expect(ca.ca).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(testTls.key))).toBe(true);
    for (const c of [ca, cert]) {
      expect(new Date(c.validFrom).getUTCFullYear()).toBeLessThanOrEqual(2000);
      expect(new Date(c.validTo).getUTCFullYear()).toBeGreaterThanOrEqual(2125);
    }
    expect(cert.subjectAltName).toBe("DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1");
  });

  it.each([
    ["127.0.0.1", undefined],
    ["127.0.0.1", "localhost"],
    ["::1", undefined],
  ])("verify for a TLS client connecting to %s (servername %s) that trusts only the test CA", async (host, sni) => {
    const server = createServer({ key: testTls.key, cert: testTls.cert }, (s) => s.end("ok"));
    server.listen(0, host);
    await once(server, "listening");
    try {
      const socket = connect({ host, port: (server.address() as AddressInfo).port, ca: testTls.ca, servername: sni });
      await once(socket, "secureConnect");
      expect(socket.authorized).toBe(true);
      const [data] = await once(socket, "data");
      expect(String(data)).toBe("ok");
      socket.destroy();
      // The same server is refused by a client that trusts only the system CAs.
      const untrusted = connect({ host, port: (server.address() as AddressInfo).port, servername: sni });
      const [err] = await once(untrusted, "error");
      expect((err as NodeJS.ErrnoException).code).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/);
    } finally {
      server.close();
    }
  });
});
