// Secrets at rest (bot tokens, connector credentials): AES-256-GCM with a random 96-bit nonce per
// value. A sealed value is `version (1 byte) | nonce (12) | tag (16) | ciphertext`. The caller names
// what the value belongs to (e.g. "slack-installation:T0123"), bound in as associated data, so a
// sealed token copied into another row fails to open instead of serving the wrong workspace.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { KnownError } from "../errors.ts";

const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + NONCE_BYTES + TAG_BYTES;

export class SecretBoxError extends KnownError {
  readonly code = "SECRET_UNREADABLE";
}

/** 32 bytes from 64 hex characters or base64 (43-44 characters); a problem in words otherwise. */
export function parseEncryptionKey(text: string | undefined): { key: Buffer | null; problem?: string } {
  if (text === undefined) return { key: null };
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, "hex")
    : Buffer.from(trimmed, "base64");
  if (key.length !== 32) {
    return {
      key: null,
      problem: "must be 32 bytes as 64 hex characters or base64 (generate one with `openssl rand -hex 32`)",
    };
  }
  return { key };
}

export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error("an AES-256 key is 32 bytes");
    this.#key = Buffer.from(key);
  }

  seal(plaintext: string, context: string): Buffer {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key, nonce);
    cipher.setAAD(Buffer.from(context, "utf8"));
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), nonce, cipher.getAuthTag(), body]);
  }

  open(sealed: Uint8Array, context: string): string {
    const data = Buffer.from(sealed);
    if (data.length < HEADER_BYTES || data[0] !== VERSION) {
      throw new SecretBoxError(`a stored secret of ${context} is not in a format this version can read`);
    }
    const decipher = createDecipheriv("aes-256-gcm", this.#key, data.subarray(1, 1 + NONCE_BYTES));
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(data.subarray(1 + NONCE_BYTES, HEADER_BYTES));
    try {
      return Buffer.concat([decipher.update(data.subarray(HEADER_BYTES)), decipher.final()]).toString("utf8");
    } catch {
      // Never the secret or the key in the message: only which secret could not be opened.
      throw new SecretBoxError(
        `a stored secret of ${context} cannot be decrypted: CSS_ENCRYPTION_KEY is not the key it was stored with, or the value was altered`,
      );
    }
  }

  /** The key stays out of logs and inspection. */
  toJSON(): string {
    return "[SecretBox]";
  }
}
