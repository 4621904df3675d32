// The Salesforce connector's credentials and the grant that exchanges them for an access token at
// /services/oauth2/token: a connected app's refresh token (OAuth 2.0 refresh token flow), or its
// certificate's private key signing a JWT for a pre-authorised user (OAuth 2.0 JWT bearer flow, no
// interactive login: help.salesforce.com "OAuth 2.0 JWT Bearer Flow for Server-to-Server Integration").
import { createPrivateKey, sign } from "node:crypto";
import { z } from "zod";

const nonEmpty = z.string().trim().min(1);
const privateKey = z.string().superRefine((pem, ctx) => {
  try {
    if (createPrivateKey(pem).asymmetricKeyType !== "rsa")
      ctx.addIssue({ code: "custom", message: "must be an RSA private key (RS256)" });
  } catch {
    // The value is a secret: it is never quoted.
    ctx.addIssue({ code: "custom", message: "is not a PEM private key (-----BEGIN PRIVATE KEY-----...)" });
  }
});

export const salesforceSecretSchema = z.union([
  z.strictObject({ client_id: nonEmpty, client_secret: nonEmpty, refresh_token: nonEmpty }),
  z.strictObject({ client_id: nonEmpty, username: nonEmpty, private_key: privateKey }),
]);
export type SalesforceSecret = z.infer<typeof salesforceSecretSchema>;

/** A JWT is good for at most 3 minutes (Salesforce's limit on `exp`). */
const JWT_SECONDS = 180;

/** The JWT's audience: the sandbox login server for a sandbox's My Domain, else the production one. */
export function audienceOf(baseUrl: string): string {
  return /\.sandbox\.my\.salesforce\.com$/i.test(new URL(baseUrl).hostname)
    ? "https://test.salesforce.com"
    : "https://login.salesforce.com";
}

/** The token endpoint's form for these credentials. */
export function tokenGrant(
  secret: SalesforceSecret,
  audience: string,
  nowMs: number,
): Record<string, string> {
  if ("refresh_token" in secret)
    return {
      grant_type: "refresh_token",
      client_id: secret.client_id,
      client_secret: secret.client_secret,
      refresh_token: secret.refresh_token,
    };
  const claims = {
    iss: secret.client_id,
    sub: secret.username,
    aud: audience,
    exp: Math.floor(nowMs / 1000) + JWT_SECONDS,
  };
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const unsigned = `${part({ alg: "RS256" })}.${part(claims)}`;
  const signature = sign("RSA-SHA256", Buffer.from(unsigned), createPrivateKey(secret.private_key));
  return {
    grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
    assertion: `${unsigned}.${signature.toString("base64url")}`,
  };
}
