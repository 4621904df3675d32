// Bearer API keys: `Authorization: Bearer css_<prefix>_<secret>`. Keys are looked up by their
// SHA-256, so nothing compares secrets; a key is never logged (only its prefix).
import type { IncomingMessage } from "node:http";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { authenticateApiKey, type ApiKeyIdentity } from "../services/api-keys.ts";
import { ApiError } from "./api-error.ts";

export async function authenticate(prisma: PrismaClient, req: IncomingMessage): Promise<ApiKeyIdentity> {
  const header = req.headers.authorization;
  const token = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
  if (!token)
    throw unauthorized("send an API key: Authorization: Bearer <key> (see `css-bot apikey create`)");
  const identity = await authenticateApiKey(prisma, token);
  if (!identity) throw unauthorized("the API key is not valid, or was revoked");
  return identity;
}

function unauthorized(message: string): ApiError {
  return new ApiError(401, "unauthorized", message, {}, { "www-authenticate": 'Bearer realm="css-bot"' });
}
