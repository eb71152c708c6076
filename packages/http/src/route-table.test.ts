import { describe, expect, it } from "vitest";
import { createRouteTable, type ErrorWriter, type RouteGroup } from "./route-table.js";

const defaultError: ErrorWriter = () => {};
const otherError: ErrorWriter = () => {};
const handler = async () => {};

describe("createRouteTable", () => {
  const ollama: RouteGroup = {
    routes: {
      "/": { method: "GET", respond: () => {} },
      "/api/chat": { method: "POST", name: "chat", handler },
    },
  };
  const v1: RouteGroup = {
    sendError: otherError,
    routes: {
      "/v1/models": { method: "GET", name: "list", handler },
      "/v1/models/:model": { method: "GET", name: "show", handler },
    },
  };

  it("resolves exact paths and patterns to their group's error writer", () => {
    const table = createRouteTable([ollama, v1], defaultError);
    expect(table.match("/api/chat")?.sendError).toBe(defaultError);
    expect(table.match("/api/chat")?.params).toEqual({});
    expect(table.match("/v1/models")?.sendError).toBe(otherError);
    const m = table.match("/v1/models/llama3%3A8b");
    expect(m?.route).toBe(v1.routes["/v1/models/:model"]);
    expect(m?.params).toEqual({ model: "llama3:8b" });
    expect(m?.sendError).toBe(otherError);
  });

  it("matches nothing for unknown paths, empty or undecodable parameters, and extra segments", () => {
    const table = createRouteTable([ollama, v1], defaultError);
    for (const p of ["/api", "/api/chat/", "/v1/models/", "/v1/models/a/b", "/v1/models/%E0%A4%A", "/nope"]) {
      expect(table.match(p), p).toBeUndefined();
    }
  });

  it("carries each group's protocol label, and answers paths under a group's prefix with its error writer", () => {
    const owned: RouteGroup = { ...v1, protocol: "openai", prefix: "/v1/" };
    const table = createRouteTable([ollama, owned], defaultError);
    expect(table.match("/api/chat")?.protocol).toBe("http");
    expect(table.match("/v1/models")?.protocol).toBe("openai");
    expect(table.errorWriterFor("/v1/nope")).toBe(otherError);
    expect(table.errorWriterFor("/v1/models/a/b")).toBe(otherError);
    expect(table.errorWriterFor("/api/nope")).toBe(defaultError);
    expect(table.errorWriterFor("/v1")).toBe(defaultError);
  });

  it("refuses a path defined twice, also as the same pattern under another name", () => {
    expect(() => createRouteTable([ollama, ollama], defaultError)).toThrow(/defined twice/);
    const clash: RouteGroup = { routes: { "/v1/models/:id": { method: "GET", name: "x", handler } } };
    expect(() => createRouteTable([v1, clash], defaultError)).toThrow(/defined twice/);
  });
});
