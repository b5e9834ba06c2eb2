// The reference a host might write instead of moments-par: Node's own http server and
// fetch (undici, keep-alive pooled), doing the same PAR call and answering the same
// shape. Deliberately minimal but correct: JSON only, body bounded, no-store. It has no
// CSRF check, rate limit, retries, metrics or tenant mapping, so it is a floor, not
// a peer. `node bench/node/proxy.mjs` with PORT, STUB_URL, INFOBIP_API_KEY.
import http from "node:http";

const port = Number(process.env.PORT);
const par = `${process.env.STUB_URL}/embeddable/1/auth/par`;
const authorization = `App ${process.env.INFOBIP_API_KEY}`;
const iframeBase = "https://embeddings.infobip.com/authorize?request_uri=";
const scopes = ["flow:manage", "flow:read", "flow:use"];

function reply(res, status, body) {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

export async function session(body) {
  const upstream = await fetch(par, {
    method: "POST",
    headers: { authorization, "content-type": "application/json" },
    body: JSON.stringify({ embedding_id: 42, scopes }),
  });
  const answer = await upstream.json();
  if (!upstream.ok || typeof answer.request_uri !== "string") {
    return [502, { error: { code: "upstream_bad_response", message: "Infobip sent an unexpected answer.", retryable: true } }];
  }
  return [200, {
    request_uri: answer.request_uri,
    expires_in: answer.expires_in ?? 60,
    iframe_url: iframeBase + encodeURIComponent(answer.request_uri),
  }];
}

if (process.argv[1] && process.argv[1].endsWith("proxy.mjs")) {
  http.createServer((req, res) => {
    if (req.method !== "POST" || req.url !== "/api/moments/session") return reply(res, 404, { error: "not found" });
    let size = 0;
    const chunks = [];
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > 4096) req.destroy(); else chunks.push(chunk);
    });
    req.on("end", async () => {
      try {
        JSON.parse(Buffer.concat(chunks).toString() || "null");
        const [status, body] = await session();
        reply(res, status, body);
      } catch {
        reply(res, 503, { error: { code: "upstream_unavailable", message: "Infobip could not be reached.", retryable: true } });
      }
    });
  }).listen(port, "127.0.0.1");
}
