// The Salesforce connector's credentials and the grant that exchanges them for an access token at
// /services/oauth2/token: a connected app's refresh token (OAuth 2.0 refresh token flow), or its
// certificate's private key signing a JWT for a pre-authorised user (OAuth 2.0 JWT bearer flow, no
// interactive login: help.salesforce.com "OAuth 2.0 JWT Bearer Flow for Server-to-Server Integration");
// the session that holds the access token; and which of Salesforce's error answers mean what.
import { createPrivateKey, sign } from "node:crypto";
import { z } from "zod";
import { ConnectorAuthError, type HttpFault, type HttpRequest, type SourceHttp } from "../contract.ts";
import { envelope } from "../vendor-common.ts";

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

const tokenSchema = z.looseObject({
  access_token: z.string().min(1),
  instance_url: z.string().optional(),
  refresh_token: z.string().optional(),
});

/**
 * REQUEST_LIMIT_EXCEEDED (403) is the org's rolling 24-hour allowance spent: retried like a 429, then
 * the job retries later. A token endpoint's invalid_grant, invalid_client or invalid_client_id (400)
 * is a refresh token or client that Salesforce refuses: the connector's credentials.
 */
export function classifySalesforceError(status: number, body: string): HttpFault | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  const first: unknown = Array.isArray(parsed) ? parsed[0] : parsed;
  if (typeof first !== "object" || first === null) return null;
  const { errorCode, message, error, error_description: description } = first as Record<string, unknown>;
  if (errorCode === "REQUEST_LIMIT_EXCEEDED")
    return {
      retry: true,
      problem: `REQUEST_LIMIT_EXCEEDED: ${typeof message === "string" ? message : "the org's API requests are used up"}`,
    };
  if (
    status === 400 &&
    typeof error === "string" &&
    /^(invalid_grant|invalid_client|invalid_client_id)$/.test(error)
  )
    return {
      auth: true,
      problem: `the token endpoint answered ${error}${typeof description === "string" ? `: ${description}` : ""}; authorise the app again and give the new credentials`,
    };
  return null;
}

/** The access token, fetched with the credentials, and fetched again once when a session ends mid-sync. */
export class SalesforceSession {
  private token: string | null = null;
  constructor(
    private readonly http: SourceHttp,
    private readonly secret: SalesforceSecret,
    /** The JWT's audience (audienceOf). */
    private readonly audience: string,
  ) {}

  async json<T>(request: HttpRequest): Promise<T> {
    const first = this.token === null;
    const token = this.token ?? (await this.refresh());
    try {
      return await this.http.json<T>(this.authorised(request, token));
    } catch (error) {
      // INVALID_SESSION_ID: the session timed out (2 hours by default) while a sync ran. One new
      // token; a refusal of that one is the credentials' fault and stands.
      if (!(error instanceof ConnectorAuthError) || first) throw error;
      return this.http.json<T>(this.authorised(request, await this.refresh()));
    }
  }

  private authorised(request: HttpRequest, token: string): HttpRequest {
    return { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } };
  }

  private async refresh(): Promise<string> {
    const answer = await this.http.json({
      method: "POST",
      path: "/services/oauth2/token",
      form: tokenGrant(this.secret, this.audience, Date.now()),
    });
    const token = envelope(tokenSchema, answer, "Salesforce /services/oauth2/token");
    if (
      "refresh_token" in this.secret &&
      token.refresh_token &&
      token.refresh_token !== this.secret.refresh_token
    ) {
      // Refresh token rotation: the token used is now revoked, and css-bot cannot store its successor
      // (a connector's secret changes only by `connectors add`), so the next sync would be refused.
      throw new ConnectorAuthError(
        "Salesforce rotated the refresh token (the connected app's refresh token rotation is on), which css-bot cannot keep: turn rotation off for this app, or use the JWT bearer flow, then add the connector again with a new secret",
      );
    }
    this.token = token.access_token;
    return this.token;
  }
}
