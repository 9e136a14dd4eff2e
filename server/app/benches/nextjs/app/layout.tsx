import Link from "next/link";

export const metadata = {
  title: "Isthmus",
  description: "Notes on building a type-safe monolith in Rust and TypeScript.",
};

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header className="site-header">
          <nav aria-label="Main">
            <Link href="/" className="brand">
              Isthmus
            </Link>
            <Link href="/blog">Blog</Link>
          </nav>
          <div className="viewer">
            <Link href="/login">Sign in</Link>
          </div>
        </header>
        <main>{children}</main>
        <footer className="site-footer">
          <a href="/feed.xml">RSS</a> · Built with Isthmus: Rust procedures, a typed client.
        </footer>
      </body>
    </html>
  );
}
