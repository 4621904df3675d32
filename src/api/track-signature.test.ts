import { describe, expect, it } from "vitest";
import { signBody, verifySignature } from "./track-signature.ts";

const body = Buffer.from('{"type":"track","event":"Report Exported"}');

describe("verifySignature", () => {
  it("accepts the hex HMAC-SHA1 of the body under the secret, in either case", () => {
    // printf '<body>' | openssl dgst -sha1 -hmac s3cret
    const sig = signBody("s3cret", body);
    expect(sig).toBe("d1509e61d743f4269e6343e8a923dd0dfc42504b");
    expect(verifySignature("s3cret", body, sig)).toBe(true);
    expect(verifySignature("s3cret", body, ` ${sig.toUpperCase()} `)).toBe(true);
  });

  it("refuses a missing, malformed or wrong signature", () => {
    const sig = signBody("s3cret", body);
    expect(verifySignature("s3cret", body, undefined)).toBe(false);
    expect(verifySignature("s3cret", body, "")).toBe(false);
    expect(verifySignature("s3cret", body, sig.slice(0, 39))).toBe(false);
    expect(verifySignature("s3cret", body, `sha1=${sig}`)).toBe(false);
    expect(verifySignature("other", body, sig)).toBe(false);
    expect(verifySignature("s3cret", Buffer.from(`${body.toString()} `), sig)).toBe(false);
  });
});
