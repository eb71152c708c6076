/** The HTTP package's Ollama client, imported only in upstream mode (it brings undici). */
export { createOllamaClient } from "@modelwire/http";
