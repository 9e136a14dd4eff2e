// The native SQLite driver stays outside the server bundle.
export default { serverExternalPackages: ["better-sqlite3", "@prisma/adapter-better-sqlite3"] };
