-- CreateIndex
CREATE INDEX "survey_responses_workspace_id_survey_responded_at_idx" ON "survey_responses"("workspace_id", "survey", "responded_at");
