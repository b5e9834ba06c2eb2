// The "quick Express + fetch proxy" the issue measured: the same call as proxy.mjs,
// behind Express's JSON body parser. Express is installed by bench/targets/node-express
// into bench/node/node_modules (git-ignored, no lockfile).
import express from "express";
import { session } from "./proxy.mjs";

const app = express();
app.use(express.json({ limit: "4kb" }));
app.post("/api/moments/session", async (req, res) => {
  try {
    const [status, body] = await session(req.body);
    res.status(status).set("cache-control", "no-store").json(body);
  } catch {
    res.status(503).json({ error: { code: "upstream_unavailable", message: "Infobip could not be reached.", retryable: true } });
  }
});
app.listen(Number(process.env.PORT), "127.0.0.1");
