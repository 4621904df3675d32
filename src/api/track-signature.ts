// The track webhook's signature: `X-Signature` is the hex HMAC-SHA1 of the raw body under the
// workspace's shared secret, as Segment's webhook destination signs when a shared secret is set.
// Compared in constant time, on the bytes as received (never on re-serialised JSON).
import { createHmac, timingSafeEqual } from "node:crypto";

export function signBody(secret: string, body: Buffer | string): string {
  return createHmac("sha1", secret).update(body).digest("hex");
}

/** True when `header` is the body's signature (hex, either case); false when missing or wrong. */
export function verifySignature(
  secret: string,
  body: Buffer,
  header: string | string[] | undefined,
): boolean {
  const value = (Array.isArray(header) ? header[0] : header)?.trim().toLowerCase();
  if (value === undefined || !/^[0-9a-f]{40}$/.test(value)) return false;
  return timingSafeEqual(Buffer.from(value, "hex"), createHmac("sha1", secret).update(body).digest());
}
