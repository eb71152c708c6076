import { describe, expect, it } from "vitest";
import { Code, codeFromName, codeName, isCode } from "./code.js";
import { codeToHttpStatus, httpStatusToCode } from "./http-status.js";

describe("Code", () => {
  it("has the 16 gRPC codes with gRPC's numbers", () => {
    expect(Code.Canceled).toBe(1);
    expect(Code.InvalidArgument).toBe(3);
    expect(Code.NotFound).toBe(5);
    expect(Code.ResourceExhausted).toBe(8);
    expect(Code.Unavailable).toBe(14);
    expect(Code.Unauthenticated).toBe(16);
  });

  it("names round-trip for every code", () => {
    for (let c = 0; c <= 16; c++) {
      expect(isCode(c)).toBe(true);
      expect(codeFromName(codeName(c as Code))).toBe(c);
    }
    expect(isCode(17)).toBe(false);
    expect(isCode(1.5)).toBe(false);
    expect(codeFromName("nope")).toBeUndefined();
  });
});

describe("the code ↔ HTTP status table", () => {
  // The table documented in docs/errors.md; a change here must change the doc.
  const documented: Array<[Code, number]> = [
    [Code.Canceled, 499],
    [Code.Unknown, 500],
    [Code.InvalidArgument, 400],
    [Code.DeadlineExceeded, 504],
    [Code.NotFound, 404],
    [Code.AlreadyExists, 409],
    [Code.PermissionDenied, 403],
    [Code.ResourceExhausted, 503],
    [Code.FailedPrecondition, 400],
    [Code.Aborted, 409],
    [Code.OutOfRange, 400],
    [Code.Unimplemented, 501],
    [Code.Internal, 500],
    [Code.Unavailable, 503],
    [Code.DataLoss, 500],
    [Code.Unauthenticated, 401],
  ];

  it.each(documented)("code %i is sent as HTTP %i", (code, status) => {
    expect(codeToHttpStatus[code]).toBe(status);
  });

  it("reads Ollama's statuses back as the codes a caller expects", () => {
    expect(httpStatusToCode(400)).toBe(Code.InvalidArgument);
    expect(httpStatusToCode(401)).toBe(Code.Unauthenticated);
    expect(httpStatusToCode(404)).toBe(Code.NotFound);
    expect(httpStatusToCode(413)).toBe(Code.ResourceExhausted);
    expect(httpStatusToCode(429)).toBe(Code.ResourceExhausted);
    expect(httpStatusToCode(500)).toBe(Code.Internal);
    expect(httpStatusToCode(503)).toBe(Code.Unavailable);
    expect(httpStatusToCode(504)).toBe(Code.DeadlineExceeded);
    expect(httpStatusToCode(418)).toBe(Code.InvalidArgument);
    expect(httpStatusToCode(200)).toBe(Code.Ok);
  });

  it("maps every status it sends back to the same code where the status is unambiguous", () => {
    const unambiguous = new Map<number, Code[]>();
    for (const [code, status] of documented) unambiguous.set(status, [...(unambiguous.get(status) ?? []), code]);
    for (const [status, codes] of unambiguous) {
      if (codes.length === 1) expect(httpStatusToCode(status)).toBe(codes[0]);
    }
  });
});
