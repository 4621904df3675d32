// Small HTTP pieces of the ingest API: reading a body up to a limit, the content type, replies.
import type { IncomingMessage, ServerResponse } from "node:http";
import { ApiError } from "./api-error.ts";

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export function send(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
  const text = JSON.stringify(reply.body);
  const headers: Record<string, string | number> = {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...reply.headers,
  };
  // A body left unread (refused before reading, or past the limit) is not read to its end: the
  // connection closes after the reply instead.
  if (!req.complete) headers.connection = "close";
  res.writeHead(reply.status, headers);
  res.end(text);
}

export function payloadTooLarge(message: string): ApiError {
  return new ApiError(413, "payload_too_large", message);
}

/** The body, or 413 as soon as it passes `limit` bytes (what is past the limit is never read). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => payloadTooLarge(`the body is larger than ${limit} bytes`);
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  // A request that waited for its turn (admission.ts) may have lost its client meanwhile.
  if (req.destroyed && !req.complete)
    throw new Error("the client closed the connection before the end of the body");
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (error: Error) => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.pause();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return stop(tooLarge());
      chunks.push(chunk);
    };
    const onEnd = () => resolve(Buffer.concat(chunks, size));
    req.on("data", onData);
    req.on("end", onEnd);
    req.once("error", stop);
    // A client that goes away mid-body: nothing will come, and nobody will read the reply.
    req.once("close", () => {
      if (!req.complete) stop(new Error("the client closed the connection before the end of the body"));
    });
  });
}

/** 415 unless the body is declared JSON (`application/json`, any parameters). */
export function requireJson(req: IncomingMessage): void {
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") {
    throw new ApiError(
      415,
      "unsupported_media_type",
      `send the records as JSON with Content-Type: application/json (got ${type === "" ? "no content type" : JSON.stringify(type)})`,
    );
  }
}
