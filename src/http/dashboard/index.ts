/**
 * GET /dashboard and its assets. The page, script and stylesheet hold no data, so they are served
 * without a token; the script signs in with a token kept in session storage and calls the JSON API
 * with Authorization: Bearer. Security headers: a CSP with no inline script or style and no
 * framing, nosniff, no referrer.
 */
import { secureHeaders } from "hono/secure-headers";
import type { App } from "../types";
import { DASHBOARD_JS } from "./app-js";
import { DASHBOARD_HTML } from "./page";
import { DASHBOARD_CSS } from "./style";

const dashboardHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", "data:"],
    connectSrc: ["'self'"],
    formAction: ["'none'"],
    baseUri: ["'none'"],
    frameAncestors: ["'none'"],
  },
  xFrameOptions: "DENY",
  referrerPolicy: "no-referrer",
  crossOriginResourcePolicy: "same-origin",
});

const ASSETS: Record<string, { body: string; type: string }> = {
  "/dashboard": { body: DASHBOARD_HTML, type: "text/html; charset=utf-8" },
  "/dashboard/app.js": { body: DASHBOARD_JS, type: "text/javascript; charset=utf-8" },
  "/dashboard/app.css": { body: DASHBOARD_CSS, type: "text/css; charset=utf-8" },
};

export function registerDashboardRoutes(app: App): void {
  app.use("/dashboard", dashboardHeaders);
  app.use("/dashboard/*", dashboardHeaders);
  for (const [path, asset] of Object.entries(ASSETS)) {
    // no-cache: a deploy must reach browsers at once; the ETag-less assets are small
    app.get(path, (c) => c.body(asset.body, 200, { "content-type": asset.type, "cache-control": "no-cache" }));
  }
}
