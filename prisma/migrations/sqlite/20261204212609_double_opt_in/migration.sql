-- AlterTable
ALTER TABLE "subscribers" ADD COLUMN "confirm_expires_at" DATETIME;
ALTER TABLE "subscribers" ADD COLUMN "confirm_token_hash" TEXT;
ALTER TABLE "subscribers" ADD COLUMN "confirmation_sent_at" DATETIME;
ALTER TABLE "subscribers" ADD COLUMN "confirmed_at" DATETIME;

-- CreateTable
CREATE TABLE "outbox_emails" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "recipient" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "text_body" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "failed_at" DATETIME,
    "last_error" TEXT,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE INDEX "outbox_emails_next_attempt_at_idx" ON "outbox_emails"("next_attempt_at");

-- CreateIndex
CREATE UNIQUE INDEX "subscribers_confirm_token_hash_key" ON "subscribers"("confirm_token_hash");

-- CreateIndex
CREATE INDEX "subscribers_confirmed_at_idx" ON "subscribers"("confirmed_at");

-- Readers who subscribed before double opt-in count as confirmed.
UPDATE "subscribers" SET "confirmed_at" = "subscribed_at";
