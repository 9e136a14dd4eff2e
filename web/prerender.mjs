// After `vite build`: renders the prerendered paths with the SSR bundle of src/prerender.tsx
// and writes each into its HTML file, so that the page and its forms exist before (and
// without) JavaScript. The untouched page is kept as dist/shell.html, which the server
// answers for every other path (client-side routes).
import { copyFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";

const PAGES = [
  { path: "/", file: "dist/index.html" },
  { path: "/login", file: "dist/login.html" },
];
const BUNDLE = "dist-prerender";

copyFileSync("dist/index.html", "dist/shell.html");
const { render } = await import(`./${BUNDLE}/prerender.js`);
for (const { path, file } of PAGES) {
  const html = await render(path);
  const template = readFileSync("dist/shell.html", "utf8");
  const slot = '<div id="root"></div>';
  if (!template.includes(slot)) throw new Error(`${file} has no ${slot}`);
  writeFileSync(file, template.replace(slot, `<div id="root" data-prerendered="${path}">${html}</div>`));
}
rmSync(BUNDLE, { recursive: true, force: true });
