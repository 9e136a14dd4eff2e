// The blog index as the Isthmus app renders it (web/src/routes/blog/index.tsx and
// components/PostList.tsx): the same query, the same markup, links through the framework's
// own `<Link>`.
import Link from "next/link";

import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "../generated/prisma/client";

const prisma = new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: process.env.DATABASE_URL! }) });

/** The head Isthmus writes for /blog: title, description and canonical URL. */
export const BLOG_METADATA = {
  title: "Blog · Isthmus",
  description: "Every post on the Isthmus blog, newest first.",
  alternates: { canonical: "http://127.0.0.1/blog" },
};

export type Post = Awaited<ReturnType<typeof newestPosts>>[number];

/** The 20 newest published posts and whether more follow (21 read). */
export async function newestPosts() {
  return prisma.post.findMany({
    where: { published: true, publishedAt: { not: null } },
    orderBy: [{ publishedAt: "desc" }, { id: "desc" }],
    take: 21,
    select: {
      id: true,
      title: true,
      slug: true,
      publishedAt: true,
      body: true,
      author: { select: { id: true, name: true } },
      tags: { select: { name: true }, orderBy: { name: "asc" } },
    },
  });
}

const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const formatDate = (date: Date) => `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;

/** As the Rust procedure writes it (`markdown::excerpt`, 200 characters): plain text cut at a word. */
function excerpt(markdown: string, maxChars = 200) {
  const text = markdown
    .replace(/[*_`#>]/g, "")
    .split(/\s+/)
    .filter(Boolean)
    .join(" ");
  if (text.length <= maxChars) return text;
  const cut = text.slice(0, maxChars + 1);
  const space = cut.lastIndexOf(" ");
  return `${(space < 0 ? cut : cut.slice(0, space)).replace(/[!-/:-@[-`{-~]+$/, "")}…`;
}

export function BlogIndex({ rows }: { rows: Post[] }) {
  const posts = rows.slice(0, 20);
  return (
    <section>
      <h1>Blog</h1>
      <ul className="post-list">
        {posts.map((post) => (
          // `unstable_cache` hands back JSON: dates come back as text.
          <li key={post.id}>
            <h3>
              <Link href={`/blog/${post.slug}`}>{post.title}</Link>
            </h3>
            <p className="meta">
              <time dateTime={new Date(post.publishedAt!).toISOString()}>
                {formatDate(new Date(post.publishedAt!))}
              </time>{" "}
              · {post.author.name}
              {post.tags.map((tag) => (
                <Link key={tag.name} href={{ pathname: "/blog", query: { tag: tag.name } }} className="tag">
                  {tag.name}
                </Link>
              ))}
            </p>
            <p>{excerpt(post.body)}</p>
          </li>
        ))}
      </ul>
      {rows.length > 20 && (
        <p>
          <Link href={{ pathname: "/blog", query: { after: String(posts[19].id) } }} rel="next">
            Older posts →
          </Link>
        </p>
      )}
    </section>
  );
}
