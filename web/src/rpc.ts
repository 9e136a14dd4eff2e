// The one client of this app, typed by the server's generated `Procedures`.
import { createClient, type Procedures } from "@isthmus/bindings";
import { createQueryHelpers } from "@isthmus/bindings/react-query";

export const client = createClient<Procedures>();
export const rq = createQueryHelpers(client);
