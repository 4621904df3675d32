-- AlterTable
ALTER TABLE "workspaces" ADD COLUMN     "track_secret" BYTEA;

-- CreateTable
CREATE TABLE "track_activity" (
    "workspace_id" INTEGER NOT NULL,
    "account_id" INTEGER NOT NULL,
    "day" DATE NOT NULL,
    "user_id" TEXT NOT NULL,
    "event" TEXT NOT NULL,

    CONSTRAINT "track_activity_pkey" PRIMARY KEY ("account_id","day","user_id","event")
);

-- CreateIndex
CREATE INDEX "track_activity_workspace_id_day_idx" ON "track_activity"("workspace_id", "day");

-- AddForeignKey
ALTER TABLE "track_activity" ADD CONSTRAINT "track_activity_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;
