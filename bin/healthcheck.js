#!/usr/bin/env node
// The image's HEALTHCHECK, for either command: `css-bot start` serves /healthz on PORT (default
// 3000), `css-bot worker` on CSS_HEALTH_PORT (default 3001). Healthy when either answers 200.
// Plain JavaScript without tsx: it runs every 30 s and must stay cheap.
const ports = [process.env.PORT || "3000", process.env.CSS_HEALTH_PORT || "3001"];
const probe = (port) =>
  fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(4000) }).then((res) => {
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  });
Promise.any(ports.map(probe)).then(
  () => process.exit(0),
  () => process.exit(1),
);
