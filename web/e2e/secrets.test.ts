// What ships to browsers holds no server-only data: the production bundle and the bindings
// name no server-only field (`/// @server-only` in schema.prisma: password hashes, session
// token hashes, sign-in back-off state), in either spelling.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { expect, test } from "vitest";

const SERVER_ONLY = ["passwordHash", "password_hash", "tokenHash", "token_hash", "failedLogins", "lockedUntil"];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

test("neither the web build nor the bindings name a server-only field", () => {
  const shipped = [
    ...files(resolve(import.meta.dirname, "../dist")),
    ...files(resolve(import.meta.dirname, "../../bindings/src")),
  ];
  expect(
    shipped.some((file) => file.endsWith(".js")),
    "the web build is there",
  ).toBe(true);
  const leaks = shipped.flatMap((file) => {
    const text = readFileSync(file, "utf8");
    return SERVER_ONLY.filter((name) => text.includes(name)).map((name) => `${name} in ${file}`);
  });
  expect(leaks).toEqual([]);
});
