import { startApp } from "@isthmus/bindings/ssr/client";

import { AppRoot, createApp } from "./app";

// The server rendered the page with its data; this hydrates it (or renders the client shell
// the server answers when a render fails).
void startApp(document.getElementById("root")!, createApp(undefined, { origin: location.origin }), AppRoot);
