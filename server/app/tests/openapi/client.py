"""A client of the server built from its OpenAPI document alone, with Python's standard library.

It knows nothing of Isthmus: it finds an operation by its id, sends the input where the
document says (the `input` query parameter as JSON, or the JSON body), and checks the answer
against the schema the document gives for its status. Usage:

    python client.py DOCUMENT BASE_URL OPERATION_ID [INPUT_JSON]

prints `{"status": ..., "answer": ...}` and exits 1 when the answer breaks the document.
"""

import json
import sys
import urllib.error
import urllib.parse
import urllib.request


class Mismatch(Exception):
    """The answer does not conform to the document."""


class Client:
    def __init__(self, document, base_url):
        self.document = document
        self.base_url = base_url.rstrip("/")
        self.operations = {
            operation["operationId"]: (method, path, operation)
            for path, item in document["paths"].items()
            for method, operation in item.items()
        }

    def call(self, operation_id, value=None):
        method, path, operation = self.operations[operation_id]
        url = self.base_url + path
        body = None
        headers = {"accept": "application/json"}
        if "requestBody" in operation:
            body = json.dumps(value).encode()
            headers["content-type"] = "application/json"
        elif value is not None:
            [parameter] = [p for p in operation.get("parameters", []) if p["in"] == "query"]
            url += "?" + urllib.parse.urlencode({parameter["name"]: json.dumps(value)})
        request = urllib.request.Request(url, data=body, method=method.upper(), headers=headers)
        try:
            with urllib.request.urlopen(request) as response:
                status, text = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read()
        answer = json.loads(text)
        response = operation["responses"].get(str(status))
        if response is None:
            raise Mismatch(f"{operation_id} answered {status}, which the document does not list")
        self.check(response["content"]["application/json"]["schema"], answer, "$")
        return status, answer

    def resolve(self, schema):
        while "$ref" in schema:
            node = self.document
            for part in schema["$ref"].removeprefix("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    def check(self, schema, value, at):
        """The part of JSON Schema the document uses."""
        schema = self.resolve(schema)
        if "const" in schema and value != schema["const"]:
            raise Mismatch(f"{at}: {value!r} is not {schema['const']!r}")
        if "enum" in schema and value not in schema["enum"]:
            raise Mismatch(f"{at}: {value!r} is not one of {schema['enum']!r}")
        for keyword in ("oneOf", "anyOf"):
            if keyword in schema:
                matches = 0
                for alternative in schema[keyword]:
                    try:
                        self.check(alternative, value, at)
                        matches += 1
                    except Mismatch:
                        pass
                if matches == 0 or (keyword == "oneOf" and matches > 1):
                    raise Mismatch(f"{at}: {value!r} matches {matches} of {keyword}")
        kind = schema.get("type")
        kinds = kind if isinstance(kind, list) else [kind] if kind else []
        if kinds and not any(is_a(value, k) for k in kinds):
            raise Mismatch(f"{at}: {value!r} is not of type {kind}")
        if isinstance(value, dict):
            properties = schema.get("properties", {})
            for name in schema.get("required", []):
                if name not in value:
                    raise Mismatch(f"{at}: {name} is missing")
            for name, item in value.items():
                if name in properties:
                    self.check(properties[name], item, f"{at}.{name}")
                elif schema.get("additionalProperties") is False:
                    raise Mismatch(f"{at}: {name} is not in the schema")
                elif isinstance(schema.get("additionalProperties"), dict):
                    self.check(schema["additionalProperties"], item, f"{at}.{name}")
        if isinstance(value, list) and "items" in schema:
            for index, item in enumerate(value):
                self.check(schema["items"], item, f"{at}[{index}]")


def is_a(value, kind):
    return {
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "null": value is None,
    }[kind]


def main():
    document_path, base_url, operation_id, *value = sys.argv[1:]
    with open(document_path) as file:
        client = Client(json.load(file), base_url)
    try:
        status, answer = client.call(operation_id, json.loads(value[0]) if value else None)
    except Mismatch as mismatch:
        print(f"the answer breaks the document: {mismatch}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps({"status": status, "answer": answer}))


if __name__ == "__main__":
    main()
