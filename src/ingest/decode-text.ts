// Bytes of an input file to text, checked as they stream. UTF-8 (the default) is strict: a byte
// that is not UTF-8 (a Latin-1 "é", 0xE9) stops the read naming its line, rather than becoming
// U+FFFD in the database without a word. A UTF-8 byte order mark is dropped. Latin-1 maps each
// byte to its character, so every file decodes.
import { isUtf8 } from "node:buffer";
import { InputFileError } from "./input-file-error.ts";

export const ENCODINGS = ["utf8", "latin1"] as const;
export type Encoding = (typeof ENCODINGS)[number];

const LF = 0x0a;

/** The chunks of `bytes` as text; throws InputFileError with the line of the first byte that is not UTF-8. */
export async function* decodeText(
  file: string,
  bytes: AsyncIterable<Buffer>,
  encoding: Encoding,
  onChunk: (chunk: Buffer) => void = () => {},
): AsyncGenerator<string> {
  let carry = Buffer.alloc(0);
  let linesBefore = 0;
  let first = true;
  for await (const chunk of bytes) {
    onChunk(chunk);
    if (encoding === "latin1") {
      yield chunk.toString("latin1");
      continue;
    }
    const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    // A character cut by the chunk's end waits for the next chunk.
    const complete = completeLength(buf);
    const whole = buf.subarray(0, complete);
    if (!isUtf8(whole)) throw notUtf8(file, whole, linesBefore);
    carry = Buffer.from(buf.subarray(complete));
    linesBefore += countLines(whole);
    let text = whole.toString("utf8");
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    if (text.length > 0) yield text;
  }
  if (carry.length > 0) throw notUtf8(file, carry, linesBefore);
}

function notUtf8(file: string, bytes: Buffer, linesBefore: number): InputFileError {
  const at = firstInvalidByte(bytes);
  const line = linesBefore + countLines(bytes.subarray(0, at)) + 1;
  const byte = `0x${bytes[at]!.toString(16).toUpperCase().padStart(2, "0")}`;
  return new InputFileError(
    file,
    `not UTF-8 (byte ${byte}); re-save as UTF-8 or pass --encoding latin1`,
    line,
  );
}

function countLines(bytes: Buffer): number {
  let n = 0;
  for (let i = bytes.indexOf(LF); i >= 0; i = bytes.indexOf(LF, i + 1)) n++;
  return n;
}

/** Bytes of `buf` up to a UTF-8 sequence cut short at its end (all of them when none is). */
function completeLength(buf: Buffer): number {
  for (let back = 1; back <= Math.min(3, buf.length); back++) {
    const b = buf[buf.length - back]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? buf.length - back : buf.length;
  }
  return buf.length;
}

/** Where the first byte that does not start a valid UTF-8 sequence is (a truncated one counts). */
function firstInvalidByte(buf: Buffer): number {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = buf[i + k];
      if (c === undefined || c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need + 1;
  }
  return buf.length - 1;
}
