import {
  create,
  type DescEnum,
  type DescExtension,
  type DescFile,
  type DescMessage,
  type DescService,
  toBinary,
} from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { Code } from "@modelwire/core";
import { reflectionV1, reflectionV1alpha } from "@modelwire/core/grpc";

/** What a reflection request asks (the same oneof in v1 and v1alpha). */
type Question = reflectionV1.ServerReflectionRequest["messageRequest"];
/** What a reflection answer carries, as plain fields (the same oneof in v1 and v1alpha). */
type Answer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

/** The descriptors a port's reflection service knows: files by name, and the file defining each symbol. */
interface Index {
  services: string[];
  files: Map<string, DescFile>;
  symbols: Map<string, DescFile>;
  /** Extension numbers by extended message type, and the file of each. */
  extensions: Map<string, Map<number, DescFile>>;
  bytes: Map<DescFile, Uint8Array>;
}

function buildIndex(services: readonly DescService[]): Index {
  const index: Index = {
    services: services.map((s) => s.typeName),
    files: new Map(),
    symbols: new Map(),
    extensions: new Map(),
    bytes: new Map(),
  };
  const addExtensions = (file: DescFile, list: readonly DescExtension[]) => {
    for (const ext of list) {
      index.symbols.set(ext.typeName, file);
      const byNumber = index.extensions.get(ext.extendee.typeName) ?? new Map<number, DescFile>();
      byNumber.set(ext.number, file);
      index.extensions.set(ext.extendee.typeName, byNumber);
    }
  };
  const addMessages = (file: DescFile, messages: readonly DescMessage[], enums: readonly DescEnum[]) => {
    for (const e of enums) index.symbols.set(e.typeName, file);
    for (const m of messages) {
      index.symbols.set(m.typeName, file);
      for (const f of m.fields) index.symbols.set(`${m.typeName}.${f.name}`, file);
      for (const o of m.oneofs) index.symbols.set(`${m.typeName}.${o.name}`, file);
      addMessages(file, m.nestedMessages, m.nestedEnums);
      addExtensions(file, m.nestedExtensions);
    }
  };
  const addFile = (file: DescFile) => {
    const name = file.proto.name;
    if (index.files.has(name)) return;
    index.files.set(name, file);
    index.bytes.set(file, toBinary(FileDescriptorProtoSchema, file.proto));
    for (const s of file.services) {
      index.symbols.set(s.typeName, file);
      for (const m of s.methods) index.symbols.set(`${s.typeName}.${m.name}`, file);
    }
    addMessages(file, file.messages, file.enums);
    addExtensions(file, file.extensions);
    for (const dep of file.dependencies) addFile(dep);
  };
  for (const s of services) addFile(s.file);
  return index;
}

const notFound = (what: string): Answer => ({
  case: "errorResponse",
  value: { errorCode: Code.NotFound, errorMessage: `${what} not found` },
});

/**
 * Answers one question. `sent` holds the files this stream has already sent: a file answer carries the file asked
 * for and those of its transitive imports not sent yet (as gRPC's own implementations do).
 */
function answer(index: Index, question: Question, sent: Set<DescFile>): Answer {
  const withImports = (file: DescFile): Answer => {
    const out: Uint8Array[] = [];
    const visit = (f: DescFile, requested: boolean) => {
      if (!requested && sent.has(f)) return;
      sent.add(f);
      out.push(index.bytes.get(f)!);
      for (const dep of f.dependencies) visit(dep, false);
    };
    visit(file, true);
    return {
      case: "fileDescriptorResponse",
      value: { fileDescriptorProto: out },
    };
  };
  switch (question.case) {
    case "listServices":
      return {
        case: "listServicesResponse",
        value: { service: index.services.map((name) => ({ name })) },
      };
    case "fileByFilename": {
      const file = index.files.get(question.value);
      return file ? withImports(file) : notFound(`file "${question.value.slice(0, 200)}"`);
    }
    case "fileContainingSymbol": {
      const file = index.symbols.get(question.value.replace(/^\./, ""));
      return file ? withImports(file) : notFound(`symbol "${question.value.slice(0, 200)}"`);
    }
    case "fileContainingExtension": {
      const { containingType, extensionNumber } = question.value;
      const file = index.extensions.get(containingType)?.get(extensionNumber);
      return file ? withImports(file) : notFound(`extension ${extensionNumber} of "${containingType.slice(0, 200)}"`);
    }
    case "allExtensionNumbersOfType": {
      const type = question.value.replace(/^\./, "");
      const owner = index.symbols.get(type);
      const isMessage = (m: DescMessage): boolean => m.typeName === type || m.nestedMessages.some(isMessage);
      if (!owner?.messages.some(isMessage)) {
        return notFound(`message type "${type.slice(0, 200)}"`);
      }
      return {
        case: "allExtensionNumbersResponse",
        value: {
          baseTypeName: type,
          extensionNumber: [...(index.extensions.get(type)?.keys() ?? [])].sort((a, b) => a - b),
        },
      };
    }
    default:
      return {
        case: "errorResponse",
        value: {
          errorCode: Code.InvalidArgument,
          errorMessage: "the request asks nothing (message_request is not set)",
        },
      };
  }
}

/** The reflection implementations for `services`: `grpc.reflection.v1` and `v1alpha`, answering alike. */
export function createReflectionServiceImpls(services: readonly DescService[]): {
  v1: ServiceImpl<typeof reflectionV1.ServerReflection>;
  v1alpha: ServiceImpl<typeof reflectionV1alpha.ServerReflection>;
} {
  // Built on the first question, not at start-up: most processes are never asked.
  let built: Index | undefined;
  const indexed = () => {
    built ??= buildIndex(services);
    return built;
  };
  return {
    v1: {
      async *serverReflectionInfo(requests) {
        const sent = new Set<DescFile>();
        for await (const req of requests) {
          yield create(reflectionV1.ServerReflectionResponseSchema, {
            validHost: req.host,
            originalRequest: req,
            messageResponse: answer(indexed(), req.messageRequest, sent),
          });
        }
      },
    },
    v1alpha: {
      async *serverReflectionInfo(requests) {
        const sent = new Set<DescFile>();
        for await (const req of requests) {
          // The v1alpha messages have the v1 shape field for field; only their type names differ.
          yield create(reflectionV1alpha.ServerReflectionResponseSchema, {
            validHost: req.host,
            originalRequest: req,
            messageResponse: answer(indexed(), req.messageRequest as Question, sent),
          });
        }
      },
    },
  };
}
