// A Postmark-style email provider on loopback for the browser tests: it accepts emails with the
// configured token, answers delivery figures, and shows what it received at `GET /received`.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export const PROVIDER_TOKEN = "e2e-provider-token";

export type ReceivedEmail = { To: string; Subject: string; TextBody: string };

export async function startProvider(): Promise<{ url: string; stop: () => Promise<void> }> {
  const received: ReceivedEmail[] = [];
  const server: Server = createServer((request, response) => {
    const answer = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (request.method === "GET" && request.url === "/received") return answer(200, received);
    if (request.headers.authorization !== `Bearer ${PROVIDER_TOKEN}`) return answer(401, { ErrorCode: 10 });
    if (request.method === "GET" && request.url === "/stats/outbound") {
      return answer(200, { Sent: received.length, Bounced: 0 });
    }
    if (request.method !== "POST" || request.url !== "/email") return answer(404, { ErrorCode: 404 });
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      received.push(JSON.parse(body) as ReceivedEmail);
      answer(200, { ErrorCode: 0, Message: "OK", MessageID: String(received.length) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The confirmation link of the newest email to `to`, waiting (at most 10 s) for it to arrive. */
export async function confirmationLink(providerUrl: string, to: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const received = (await (await fetch(`${providerUrl}/received`)).json()) as ReceivedEmail[];
    const email = received.filter((email) => email.To === to).at(-1);
    const link = email?.TextBody.match(/https?:\/\/\S+\/newsletter\/confirm\?token=\S+/)?.[0];
    if (link) return link;
    if (Date.now() > deadline) throw new Error(`no confirmation email to ${to}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
