import type { IncomingMessage, ServerResponse } from "node:http";
import { Code, ModelwireError } from "@modelwire/core";
import type { Engine } from "@modelwire/engine";
import {
  chatRequestFromJson,
  chatResponseToJson,
  embeddingsRequestFromJson,
  embeddingsResponseToJson,
  embedRequestFromJson,
  embedResponseToJson,
  generateRequestFromJson,
  generateResponseToJson,
  listResponseToJson,
  psResponseToJson,
  showRequestFromJson,
  showResponseToJson,
  versionResponseToJson,
} from "./ollama-json.js";
import { joinChat, joinGenerate, sendStream } from "./ollama-stream.js";
import type { CallContext, RouteGroup } from "./route-table.js";
import { drainBody } from "./server-body.js";
import { sendError, sendJson } from "./server-response.js";

/**
 * Ollama's native API over `engine`: `GET|HEAD /`, `POST /api/generate`, `/api/chat`, `/api/embed`,
 * `/api/embeddings`, `/api/show`, `GET|HEAD /api/tags`, `/api/ps`, `/api/version`; errors in Ollama's
 * `{"error": "..."}` shape.
 */
export function ollamaRoutes(engine: Engine): RouteGroup {
  return {
    sendError,
    routes: {
      "/": { method: "GET", respond: sendRunning },
      "/api/generate": { method: "POST", name: "generate", handler: generate },
      "/api/chat": { method: "POST", name: "chat", handler: chat },
      "/api/embed": { method: "POST", name: "embed", handler: embed },
      "/api/embeddings": { method: "POST", name: "embed", handler: embeddings },
      "/api/show": { method: "POST", name: "show", handler: show },
      "/api/tags": {
        method: "GET",
        name: "list",
        handler: async (_q, res, c) => ok(res, listResponseToJson(await engine.list(c.ctx))),
      },
      "/api/ps": {
        method: "GET",
        name: "running",
        handler: async (_q, res, c) => ok(res, psResponseToJson(await engine.running(c.ctx))),
      },
      "/api/version": {
        method: "GET",
        name: "version",
        handler: async (_q, res, c) => ok(res, versionResponseToJson(await engine.version(c.ctx))),
      },
    },
  };

  async function generate(_req: IncomingMessage, res: ServerResponse, call: CallContext) {
    const request = generateRequestFromJson(await call.json());
    await sendStream(res, call, request.stream ?? true, engine.generate(request, call.ctx), {
      toJson: generateResponseToJson,
      join: joinGenerate,
      isContent: (c) => !c.done && (c.response.length > 0 || c.thinking.length > 0),
      answerAlone: (c) => isLoadReply(c),
    });
  }

  async function chat(_req: IncomingMessage, res: ServerResponse, call: CallContext) {
    const request = chatRequestFromJson(await call.json());
    await sendStream(res, call, request.stream ?? true, engine.chat(request, call.ctx), {
      toJson: chatResponseToJson,
      join: joinChat,
      isContent: (c) => !c.done && ((c.message?.content.length ?? 0) > 0 || (c.message?.thinking.length ?? 0) > 0),
      answerAlone: (c) => isLoadReply(c),
    });
  }

  async function embed(_req: IncomingMessage, res: ServerResponse, call: CallContext) {
    const request = embedRequestFromJson(await call.json());
    ok(res, embedResponseToJson(await engine.embed(request, call.ctx)));
  }

  async function embeddings(_req: IncomingMessage, res: ServerResponse, call: CallContext) {
    // An empty prompt loads the model and answers an empty vector, as Ollama does.
    const request = embeddingsRequestFromJson(await call.json());
    ok(res, embeddingsResponseToJson(await engine.embed(request, call.ctx)));
  }

  async function show(_req: IncomingMessage, res: ServerResponse, call: CallContext) {
    const request = showRequestFromJson(await call.json());
    if (request.model === "") throw new ModelwireError("model is required", Code.InvalidArgument, { field: "model" });
    ok(res, showResponseToJson(await engine.show(request, call.ctx)));
  }
}

/** Ollama answers a load or unload request with one JSON object, streamed or not. */
function isLoadReply(c: { done: boolean; doneReason: string }): boolean {
  return c.done && (c.doneReason === "load" || c.doneReason === "unload");
}

/** `GET|HEAD /`: Ollama's liveness text. */
function sendRunning(req: IncomingMessage, res: ServerResponse): void {
  drainBody(req);
  const text = "Ollama is running";
  res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
  res.end(req.method === "HEAD" ? undefined : text);
}

function ok(res: ServerResponse, body: unknown): void {
  sendJson(res, 200, body);
}
