/**
 * The Connect package's server, imported only when the Connect/gRPC listener is on. A named re-export so a bundler
 * keeps only the connect-node server, not the grpc-js reference pair the package also exports.
 */
export { createConnectServer } from "@modelwire/connect";
