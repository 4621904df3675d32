-- CreateIndex
CREATE INDEX "audit_log_workspace_id_target_at_idx" ON "audit_log"("workspace_id", "target", "at");
