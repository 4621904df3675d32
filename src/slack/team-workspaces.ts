// Which workspace a Slack team's request belongs to, kept in memory for a short while: every request
// needs it, and when the database pool is busy a lookup per request would queue behind the very
// searches it precedes, eating the 3 seconds Slack gives a reply. A team that is not connected is not
// remembered (an install takes effect at once); a settings change in this process drops the entry.
import type { Workspace } from "../generated/prisma/client.ts";

export interface TeamWorkspacesOptions {
  /** Looks the team's workspace up in the database (or connects it, in single-workspace mode). */
  load(teamId: string): Promise<Workspace | null>;
  /** How long a workspace is reused: its settings (timezone) may be this old. Default 30 s. */
  ttlMs?: number;
  now?: () => number;
}

export class TeamWorkspaces {
  private readonly entries = new Map<string, { workspace: Workspace; until: number }>();
  private readonly loading = new Map<string, Promise<Workspace | null>>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(private readonly options: TeamWorkspacesOptions) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  async get(teamId: string): Promise<Workspace | null> {
    const hit = this.entries.get(teamId);
    if (hit && hit.until > this.now()) return hit.workspace;
    // Concurrent requests of one team share one lookup.
    let pending = this.loading.get(teamId);
    if (!pending) {
      pending = this.options.load(teamId).finally(() => this.loading.delete(teamId));
      this.loading.set(teamId, pending);
    }
    const workspace = await pending;
    if (workspace) this.entries.set(teamId, { workspace, until: this.now() + this.ttlMs });
    else this.entries.delete(teamId);
    return workspace;
  }

  /** Forgets the workspace (its settings changed), so the next request reads it again. */
  forget(workspaceId: number): void {
    for (const [team, entry] of this.entries)
      if (entry.workspace.id === workspaceId) this.entries.delete(team);
  }
}
