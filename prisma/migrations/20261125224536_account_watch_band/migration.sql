-- AlterTable
ALTER TABLE "account_watches" ADD COLUMN     "last_band" TEXT;
