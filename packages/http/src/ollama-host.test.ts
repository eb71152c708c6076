import { describe, expect, it } from "vitest";
import { resolveOllamaHost } from "./ollama-host.js";

describe("OLLAMA_HOST rules", () => {
  it.each([
    ["", "http://127.0.0.1:11434", ""],
    ["example.com", "http://example.com:11434", ""],
    ["example.com:1234", "http://example.com:1234", ""],
    [":8080", "http://127.0.0.1:8080", ""],
    ["http://example.com", "http://example.com:80", ""],
    ["https://example.com", "https://example.com:443", ""],
    ["http://example.com:5000/ollama/", "http://example.com:5000", "/ollama"],
    ["0.0.0.0", "http://0.0.0.0:11434", ""],
    ["[::1]:9000", "http://[::1]:9000", ""],
    ["::1", "http://[::1]:11434", ""],
    ["  127.0.0.1:7  ", "http://127.0.0.1:7", ""],
    ["example.com:99999", "http://example.com:11434", ""],
  ])("%j → %s", (input, origin, basePath) => {
    expect(resolveOllamaHost(input)).toEqual({ origin, basePath });
  });

  it("reads OLLAMA_HOST when no value is given and rejects other schemes", () => {
    const saved = process.env.OLLAMA_HOST;
    try {
      process.env.OLLAMA_HOST = "somehost:1";
      expect(resolveOllamaHost().origin).toBe("http://somehost:1");
      delete process.env.OLLAMA_HOST;
      expect(resolveOllamaHost().origin).toBe("http://127.0.0.1:11434");
    } finally {
      if (saved === undefined) delete process.env.OLLAMA_HOST;
      else process.env.OLLAMA_HOST = saved;
    }
    expect(() => resolveOllamaHost("ftp://x")).toThrow(/scheme/);
  });
});
