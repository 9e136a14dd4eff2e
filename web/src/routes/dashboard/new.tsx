import { createFileRoute } from "@tanstack/react-router";

import { NewPost } from "../../components/PostEditor";

export const Route = createFileRoute("/dashboard/new")({ component: NewPost });
