import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseEncryptionKey, SecretBox, SecretBoxError } from "./secret-box.ts";

const key = randomBytes(32);

describe("SecretBox", () => {
  it("opens what it sealed, with a fresh nonce every time", () => {
    const box = new SecretBox(key);
    const a = box.seal("xoxb-123-secret", "slack-installation:T1");
    const b = box.seal("xoxb-123-secret", "slack-installation:T1");
    expect(a.equals(b)).toBe(false);
    expect(a.includes(Buffer.from("xoxb-123-secret"))).toBe(false);
    expect(box.open(a, "slack-installation:T1")).toBe("xoxb-123-secret");
  });

  it("refuses a value sealed for another row, altered, or under another key", () => {
    const box = new SecretBox(key);
    const sealed = box.seal("xoxb-123-secret", "slack-installation:T1");
    expect(() => box.open(sealed, "slack-installation:T2")).toThrow(SecretBoxError);
    const altered = Buffer.from(sealed);
    altered[altered.length - 1]! ^= 1;
    expect(() => box.open(altered, "slack-installation:T1")).toThrow(/cannot be decrypted/);
    expect(() => new SecretBox(randomBytes(32)).open(sealed, "slack-installation:T1")).toThrow(
      SecretBoxError,
    );
    expect(() => box.open(Buffer.from([9, 1, 2]), "x")).toThrow(/not in a format/);
  });

  it("never shows its key", () => {
    expect(JSON.stringify({ box: new SecretBox(key) })).toBe('{"box":"[SecretBox]"}');
  });
});

describe("parseEncryptionKey", () => {
  it("takes 64 hex characters or base64 of 32 bytes", () => {
    expect(parseEncryptionKey(key.toString("hex")).key?.equals(key)).toBe(true);
    expect(parseEncryptionKey(key.toString("base64")).key?.equals(key)).toBe(true);
    expect(parseEncryptionKey(undefined)).toEqual({ key: null });
  });

  it("names the problem with a short key", () => {
    expect(parseEncryptionKey("abcd").problem).toMatch(/32 bytes/);
  });
});
