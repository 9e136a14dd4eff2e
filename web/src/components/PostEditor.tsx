import { useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { useState } from "react";

import type { Draft } from "@isthmus/bindings";
import { useFormAction } from "@isthmus/bindings/react-form";

import { client, rq } from "../rpc";
import { FieldErrors } from "./FieldErrors";

type Errors = Record<string, string[]>;

/** The fields shared by writing and editing; `field` comes from the form's action. */
function PostFields({
  field,
  errors,
  body,
}: {
  field: (name: "title" | "slug" | "body" | "tags") => object;
  errors: Errors;
  body: (text: string) => void;
}) {
  return (
    <>
      <label>
        Title <input {...field("title")} />
      </label>
      <FieldErrors messages={errors.title} />
      <label>
        Slug <input {...field("slug")} />
      </label>
      <FieldErrors messages={errors.slug} />
      <label>
        Body (markdown) <textarea {...field("body")} rows={14} onChange={(event) => body(event.target.value)} />
      </label>
      <FieldErrors messages={errors.body} />
      <label>
        Tags, separated by commas <input {...field("tags")} />
      </label>
      <FieldErrors messages={errors.tags} />
    </>
  );
}

/** Renders the body as readers will see it, on the server with the same sanitizer. */
function Preview({ body }: { body: string }) {
  const [html, setHtml] = useState<string | undefined>();
  return (
    <div className="preview">
      <button
        type="button"
        onClick={() => void client.mutation("posts.preview", { body }).then((preview) => setHtml(preview.html))}
      >
        Preview
      </button>
      {html !== undefined && <div className="prose" data-testid="preview" dangerouslySetInnerHTML={{ __html: html }} />}
    </div>
  );
}

export function NewPost() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [body, setBody] = useState("");
  const create = useFormAction(client, "posts.create", {
    fields: { title: {}, slug: { placeholder: "my-first-post" }, body: {}, tags: { placeholder: "rust, web" } },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: rq.queryKey("posts.mine") });
      void navigate({ to: "/dashboard" });
    },
  });
  return (
    <section>
      <h1>New post</h1>
      <form {...create.formProps} noValidate className="stack">
        <PostFields field={create.field} errors={create.fieldErrors} body={setBody} />
        <button type="submit" disabled={create.pending}>
          Save draft
        </button>
      </form>
      <Preview body={body} />
    </section>
  );
}

export function EditPost({ draft }: { draft: Draft }) {
  const queryClient = useQueryClient();
  const [body, setBody] = useState(draft.body);
  const update = useFormAction(client, "posts.update", {
    fields: {
      id: { type: "hidden", defaultValue: draft.id },
      title: { defaultValue: draft.title },
      slug: { defaultValue: draft.slug },
      body: { defaultValue: draft.body },
      tags: { defaultValue: draft.tags.join(", ") },
    },
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: rq.queryKey("posts.mine") }),
  });
  return (
    <section>
      <h1>Edit “{draft.title}”</h1>
      <form {...update.formProps} noValidate className="stack">
        <input {...update.field("id")} />
        <PostFields field={update.field} errors={update.fieldErrors} body={setBody} />
        <button type="submit" disabled={update.pending}>
          Save
        </button>
        {update.result && <p role="status">Saved.</p>}
      </form>
      <Preview body={body} />
    </section>
  );
}
