// What a failure of the warehouse means for the sync: PostgreSQL's SQLSTATE (or a network error)
// sorted into the contract's errors. Writes and timeouts are the mapping's fault (permanent until the
// settings change), refused credentials are an auth failure, a lost or refused connection is an
// outage the job retries. Messages never contain the connection string.
import { ConnectorAuthError, ConnectorConfigError, SourceUnavailableError } from "./contract.ts";

export function mappingLabel(mapping: { number: number }): string {
  return `SQL mapping ${mapping.number}`;
}

/** Statements that change data or schema: a query starting with one was trying to write. */
const WRITE_KEYWORD =
  /^\s*(?:insert|update|delete|merge|create|drop|alter|truncate|grant|revoke|copy|call|do|vacuum|reindex|cluster|refresh|lock|comment|security|set|reset|commit|rollback|begin|start)\b/i;

export function classifySqlError(
  error: unknown,
  mapping: { number: number; query: string } | null,
  timeoutMs: number,
): Error {
  const e = error as Error & { code?: string };
  const message = (e.message || String(error)).replace(/\s+/g, " ").trim();
  const where = mapping ? mappingLabel(mapping) : "the SQL connection";
  const code = typeof e.code === "string" ? e.code : "";
  if (/^[0-9A-Z]{5}$/.test(code)) {
    if (code === "25006" || (code === "0A000" && /data-modifying/i.test(message)))
      return new ConnectorConfigError(`${where} tried to write: ${message} (mappings are run read-only)`);
    if (code === "42601" && mapping && WRITE_KEYWORD.test(stripComments(mapping.query)))
      return new ConnectorConfigError(
        `${where} tried to write: only a SELECT (or WITH ... SELECT) query is run (${message})`,
      );
    if (code === "57014")
      return new ConnectorConfigError(
        `${where} ran past its statement timeout of ${timeoutMs} ms and was cancelled: make the query cheaper (use $1 to read only what changed) or raise statement_timeout_ms`,
      );
    if (code === "28P01" || code === "28000")
      return new ConnectorAuthError(`the warehouse refused the credentials: ${message}`);
    // Connection exceptions, shutdowns, too many connections, serialization: worth a retry later.
    if (/^(08|53|57P|40)/.test(code))
      return new SourceUnavailableError(`the warehouse is unavailable (${code}): ${message}`);
    return new ConnectorConfigError(`${where} failed: ${message}`);
  }
  if (e instanceof ConnectorConfigError || e instanceof ConnectorAuthError) return e;
  return new SourceUnavailableError(`the warehouse is unreachable: ${message}`);
}

function stripComments(sql: string): string {
  return sql.replace(/--[^\n]*/g, " ").replace(/\/\*[\s\S]*?\*\//g, " ");
}
