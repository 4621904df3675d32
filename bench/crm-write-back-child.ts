// The measured part of `npm run bench -- crm` (write-back part), in a process of its own so that its
// peak RSS is the write-back's: one run of the real write-back service (runWriteBack, as the
// crm-write-back job runs it) for one connector, without the pause between batch calls (paceMs 0),
// so the figure is css-bot's own throughput and not the vendor's rate limit.
import { runWriteBack, type WriteBackResult } from "../src/services/crm-write-back.ts";
import { measureConnectorWork, type ConnectorChildReport } from "./support/connector-child.ts";

export type WriteBackChildReport = ConnectorChildReport<WriteBackResult>;

await measureConnectorWork((deps, { workspaceId, connectorId }) =>
  runWriteBack({ ...deps, paceMs: 0 }, connectorId, { workspaceId }),
);
