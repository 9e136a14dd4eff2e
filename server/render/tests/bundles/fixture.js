// A server bundle without React: the contract of `render` and `pendingQueries` (see the
// crate documentation), and every way a render can go wrong, chosen by the URL.
let waiting = [];
// Pages carry the number of their render, so that a render again is visible.
let renders = 0;

export async function render(request) {
  const { url, origin, results } = JSON.parse(request);
  waiting = [];
  const path = url.split("?")[0];
  switch (path) {
    case "/throws":
      throw new Error("the component has a bug");
    case "/loops":
      for (;;) {}
    case "/allocates":
      for (const hoard = []; ;) hoard.push(new Array(100000).fill(path));
    case "/queues-work-forever": {
      const spin = () => {
        queueMicrotask(spin);
        for (let i = 0; i < 100000; i++);
      };
      spin();
      return new Promise(() => {});
    }
    case "/waits-for-a-timer":
      return new Promise((resolve) => setTimeout(resolve, 10));
    case "/redirects":
      return JSON.stringify({ kind: "redirect", status: 307, location: "/login?next=%2Fredirects" });
    case "/redirects-off-site":
      return JSON.stringify({ kind: "redirect", status: 307, location: "//evil.example/" });
  }
  // Data in two steps: the count first, then the greeting for it (a dependent query).
  const count = results.find((r) => r.name === "count");
  if (!count) return wait({ name: "count", input: null });
  const name = decodeURIComponent(path.slice(1)) || "world";
  const greeting = results.find((r) => r.name === "greeting");
  if (!greeting) return wait({ name: "greeting", input: JSON.stringify(name) });
  if (greeting.status !== 200) {
    return page(greeting.status, `<h1>${greeting.status}</h1>`, null);
  }
  const html = `<h1>${greeting.body}</h1><p>count ${count.body}</p><p>origin ${origin}</p>`;
  return page(200, html, path === "/uncached" ? null : 60, greeting.body);
}

function wait(call) {
  waiting.push(call);
  return new Promise(() => {});
}

function page(status, html, revalidate, title = "") {
  const state = JSON.stringify({ title });
  const head = `<title>${title}</title><meta name="render" content="${++renders}">`;
  return JSON.stringify({ kind: "page", status, html, head, state, revalidate });
}

export function pendingQueries() {
  return JSON.stringify(waiting);
}
