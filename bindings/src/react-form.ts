// Progressive enhancement of a plain `<form method="post" action={…}>` that posts to a
// mutation: without JavaScript the browser posts and the server redirects back; with it,
// this hook posts the same form data through the client, keeps the page, and exposes the
// pending state, the typed result and the per-field errors.
import { useState, type FormEvent, type InputHTMLAttributes, type TextareaHTMLAttributes } from "react";

import type { Client, ErrorOf, InputOf, NamesOf, OutputOf, ProcedureMap, RpcError } from "./client";

type State<O, E> =
  | { status: "idle" }
  | { status: "pending" }
  | { status: "success"; result: O }
  | { status: "error"; error: RpcError<E> };

/** Keys of `I` that the server requires (not `undefined`/`null`-able). */
type RequiredKeys<I> = {
  [K in keyof I & string]-?: undefined extends I[K] ? never : null extends I[K] ? never : K;
}[keyof I & string];

/** What a form renders for one input field: attributes of its `<input>` or `<textarea>`. */
export type FieldAttributes = InputHTMLAttributes<HTMLInputElement> & TextareaHTMLAttributes<HTMLTextAreaElement>;

/**
 * The fields a form renders, keyed by the mutation's input fields: every required field must
 * be there (a form that omits one fails `tsc`, instead of a 422 at run time), optional ones
 * may be. A field added to the input on the server breaks every form that does not render it.
 */
export type FieldSet<I> = [I] extends [void]
  ? Record<string, never>
  : { [K in RequiredKeys<I>]: FieldAttributes } & {
      [K in Exclude<keyof I & string, RequiredKeys<I>>]?: FieldAttributes;
    };

export function useFormAction<P extends ProcedureMap, N extends NamesOf<P, "mutation">>(
  client: Client<P>,
  name: N,
  options: { fields: FieldSet<InputOf<P, N>>; onSuccess?: (result: OutputOf<P, N>) => void },
) {
  const [state, setState] = useState<State<OutputOf<P, N>, ErrorOf<P, N>>>({ status: "idle" });

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setState({ status: "pending" });
    client.submitForm(name, new FormData(event.currentTarget)).then(
      (result) => {
        setState({ status: "success", result });
        options.onSuccess?.(result);
      },
      (error: RpcError<ErrorOf<P, N>>) => setState({ status: "error", error }),
    );
  };

  const error = state.status === "error" ? state.error : undefined;
  return {
    /** Spread on the `<form>`: works with and without JavaScript. */
    formProps: { action: client.actionUrl(name), method: "post", onSubmit } as const,
    /** Spread on the input of `field`: its `name` and the attributes declared in `fields`. */
    field: <K extends keyof FieldSet<InputOf<P, N>> & string>(field: K) => {
      const attributes = (options.fields as Record<string, FieldAttributes | undefined>)[field];
      return { ...attributes, name: field };
    },
    pending: state.status === "pending",
    result: state.status === "success" ? state.result : undefined,
    error,
    /** Per-field messages of a 422 (`{ email: ["…"] }`), if that is what failed. */
    fieldErrors: error?.fieldErrors ?? {},
  };
}
