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

  it("refuses a path defined twice, also as the same pattern under another name", () => {
    expect(() => createRouteTable([ollama, ollama], defaultError)).toThrow(/defined twice/);
    const clash: RouteGroup = { routes: { "/v1/models/:id": { method: "GET", name: "x", handler } } };
    expect(() => createRouteTable([v1, clash], defaultError)).toThrow(/defined twice/);
  });
});
