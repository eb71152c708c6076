/**
 * The HTTP package's server, imported only when the HTTP listener is on. A named re-export (not the whole
 * package namespace) so a bundler keeps only the server, not the undici client.
 */
export { createOllamaServer } from "@modelwire/http";
