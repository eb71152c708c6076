/**
 * The HTTP package's server, imported only when the HTTP listener is on, from its server-only entry (the main
 * entry also loads the undici client).
 */
export { createOllamaServer, keepAliveFromJson } from "@modelwire/http/server";
