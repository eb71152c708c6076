/** The HTTP package's Ollama client, imported only in upstream mode (it brings undici). */
export { createOllamaClient } from "@modelwire/http";
/** The OpenAI forwarder (upstream mode: `/v1/*` relayed to an upstream that serves the OpenAI API itself). */
export { createOpenAIForwarder } from "@modelwire/http/openai";
