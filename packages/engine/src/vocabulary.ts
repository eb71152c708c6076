/**
 * The synthetic model's vocabulary. Mostly ASCII words, with a few multi-byte UTF-8 tokens (accented Latin,
 * CJK, an emoji) so that every transport's UTF-8 handling across chunk boundaries is exercised.
 */
export const VOCABULARY: readonly string[] = [
  "the", "model", "wire", "protocol", "stream", "token", "latency", "frame", "buffer", "socket",
  "local", "server", "client", "request", "reply", "chunk", "fast", "slow", "byte", "header",
  "llama", "ollama", "grpc", "connect", "binary", "json", "proto", "queue", "pool", "deadline",
  "cancel", "signal", "engine", "vector", "prompt", "context", "window", "batch", "cache", "kernel",
  "naïve", "café", "déjà", "über", "日本", "模型", "协议", "🙂", "→", "µs",
  "and", "of", "to", "in", "is", "for", "on", "with", "as", "by",
  "measure", "honest", "figure", "median", "spread", "sample", "trace", "profile", "heap", "loop",
];
