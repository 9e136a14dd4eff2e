import { defineConfig } from "prisma/config";

// `compare` writes the schema (the repository's, with Prisma's JavaScript generator) and
// names the database the Isthmus server created.
export default defineConfig({ schema: "generated/schema.prisma", datasource: { url: process.env.DATABASE_URL } });
