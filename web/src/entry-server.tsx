// The server bundle's entry: the Rust server renders every page with it (server/render).
import { createRenderer } from "@isthmus/bindings/ssr/server";

import { AppRoot, createApp } from "./app";

export const { render, pendingQueries } = createRenderer({ createApp, Root: AppRoot });
