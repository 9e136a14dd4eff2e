// The blog of the pages benchmark (server/app/benches/pages.rs), written into the database the
// Isthmus server created and migrated: one author, 30 published posts of 1 KB, each tagged
// "rust" and "web". Dates as the Rust client writes them (UTC text).
import Database from "better-sqlite3";

const db = new Database(process.argv[2]);
const at = (date) => date.toISOString().replace("T", " ").replace("Z", "");
db.prepare("INSERT INTO users (email, name, password_hash) VALUES (?, ?, ?)").run(
  "author@example.com",
  "An Author",
  "-",
);
const tags = ["rust", "web"].map((name) => db.prepare("INSERT INTO tags (name) VALUES (?)").run(name).lastInsertRowid);
const body = "Lorem ipsum dolor sit amet, *consectetur* adipiscing elit. ".repeat(17);
const post = db.prepare(
  "INSERT INTO posts (slug, title, body, published, published_at, author_id, updated_at) VALUES (?, ?, ?, 1, ?, 1, ?)",
);
const tag = db.prepare('INSERT INTO "_PostToTag" ("A", "B") VALUES (?, ?)');
const now = Date.now();
for (let n = 0; n < 30; n++) {
  const published = at(new Date(now - n * 60_000));
  const id = post.run(`post-${n}`, `Post number ${n}`, body, published, published).lastInsertRowid;
  for (const t of tags) tag.run(id, t);
}
db.close();
