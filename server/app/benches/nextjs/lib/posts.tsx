// The blog index as the Isthmus app renders it (web/src/routes/blog/index.tsx and
// components/PostList.tsx): the same query, the same markup, links through the framework's
// own `<Link>`.
import Link from "next/link";

import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "../generated/prisma/client";

const prisma = new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: process.env.DATABASE_URL! }) });

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
            <p>{post.body.replace(/[*_`#]/g, "").slice(0, 160)}</p>
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
