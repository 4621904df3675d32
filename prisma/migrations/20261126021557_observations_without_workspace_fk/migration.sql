-- DropForeignKey
ALTER TABLE "metric_observations" DROP CONSTRAINT "metric_observations_workspace_id_fkey";
