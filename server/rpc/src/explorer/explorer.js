// The procedures explorer: lists every operation of the OpenAPI document and calls it with an
// editable JSON input, as the TypeScript client would (GET with `?input=`, POST with a JSON
// body, subscriptions as server-sent events).

const list = document.getElementById("procedures");
const filter = document.getElementById("filter");
const spec = await (await fetch("/_isthmus/openapi.json")).json();

function element(tag, properties = {}, ...children) {
  const node = Object.assign(document.createElement(tag), properties);
  node.append(...children);
  return node;
}

// A schema as JSON, with references to components shown by name and expanded once.
function describe(schema, seen = new Set()) {
  if (schema === undefined) return "none";
  const resolve = (value) => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== "object") return value;
    if (typeof value.$ref === "string") {
      const name = value.$ref.split("/").pop();
      if (seen.has(name)) return `→ ${name}`;
      seen.add(name);
      return { [name]: resolve(spec.components.schemas[name]) };
    }
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, resolve(inner)]));
  };
  return JSON.stringify(resolve(schema), null, 2);
}

function procedure(path, method, operation) {
  const name = operation.operationId;
  const kind = operation["x-isthmus-kind"];
  const parameter = (operation.parameters ?? []).find((candidate) => candidate.name === "input");
  const input =
    parameter?.content["application/json"].schema ?? operation.requestBody?.content["application/json"].schema;
  const takesInput = parameter !== undefined || (operation.requestBody !== undefined && input?.type !== "null");
  const success = operation.responses["200"].content;
  const output = success["application/json"]?.schema ?? success["text/event-stream"]["x-isthmus-item"];
  const errors = Object.keys(operation.responses).filter((status) => status !== "200");

  const editor = element("textarea", { value: takesInput ? "{}" : "", disabled: !takesInput, spellcheck: false });
  const answer = element("pre", { textContent: "" });
  const status = element("span", { className: "status" });
  let stream;
  const call = async () => {
    stream?.close();
    let text = editor.value.trim();
    try {
      if (text) text = JSON.stringify(JSON.parse(text));
    } catch (error) {
      status.textContent = "the input is not JSON";
      status.className = "status failed";
      return;
    }
    const query = text && method === "get" ? `?input=${encodeURIComponent(text)}` : "";
    status.textContent = "…";
    answer.textContent = "";
    if (kind === "subscription") {
      stream = new EventSource(path + query);
      stream.addEventListener("data", (event) => (answer.textContent += `${event.data}\n`));
      stream.addEventListener("end", () => stream.close());
      stream.onopen = () => (status.textContent = "streaming");
      stream.onerror = () => ((status.textContent = "closed"), stream.close());
      return;
    }
    const init =
      method === "post"
        ? { method: "POST", headers: { "content-type": "application/json" }, body: text || "null" }
        : { method: "GET" };
    const response = await fetch(path + query, init);
    status.textContent = `${response.status} ${response.statusText}`;
    status.className = response.ok ? "status" : "status failed";
    const body = await response.text();
    try {
      answer.textContent = JSON.stringify(JSON.parse(body), null, 2);
    } catch {
      answer.textContent = body;
    }
  };

  const card = element(
    "details",
    {},
    element("summary", {}, element("span", { className: "kind" }, kind), element("code", {}, name)),
    element("h3", {}, "Input"),
    element("pre", { textContent: takesInput ? describe(input) : "none" }),
    element("h3", {}, kind === "subscription" ? "Each item" : "Output"),
    element("pre", { textContent: describe(output) }),
    element("h3", {}, "Failures"),
    element("p", {}, errors.join(", ")),
    element("h3", {}, "Try it"),
    editor,
    element("button", { type: "button", onclick: call }, kind === "subscription" ? "Subscribe" : "Call"),
    " ",
    status,
    answer,
  );
  card.dataset.name = name;
  return card;
}

list.replaceChildren(
  ...Object.entries(spec.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => procedure(path, method, operation)),
  ),
);
filter.addEventListener("input", () => {
  for (const node of list.children) node.hidden = !node.dataset.name.includes(filter.value.trim());
});
