// The API from the browser: the signed-in token (session storage only), Sentry's error shapes,
// the Link header's cursors, and a progress line while requests are in flight.

const TOKEN_KEY = "watchtower.token";
const ORG_KEY = "watchtower.org";
const PROJECT_KEY = "watchtower.project";

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  get org() { return sessionStorage.getItem(ORG_KEY); },
  /** The project last looked at, for the navigation of pages that belong to one (issue, release). */
  get project() { return sessionStorage.getItem(PROJECT_KEY); },
  set project(slug) { sessionStorage.setItem(PROJECT_KEY, slug); },
  signIn(token, org) {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(ORG_KEY, org);
  },
  signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(ORG_KEY);
    sessionStorage.removeItem(PROJECT_KEY);
  },
};

/** An answer other than 2xx: its status and the API's own body (``{"detail": ...}`` or field errors). */
export class ApiError extends Error {
  constructor(status, body) {
    super(typeof body?.detail === "string" ? body.detail : `The API answered ${status}.`);
    this.status = status;
    this.body = body;
  }
}

// Progress of the requests in flight: "Loading… 2 of 5 done" while a page's parallel requests
// answer, counted from the moment the first of them started until the last one ended.
let started = 0;
let finished = 0;
function progress(delta) {
  if (delta > 0) started += delta;
  else finished -= delta;
  const busy = finished < started;
  const line = document.getElementById("progress");
  const main = document.getElementById("main");
  if (line) line.textContent = busy ? `Loading… ${finished} of ${started} done` : "";
  if (main) main.setAttribute("aria-busy", busy ? "true" : "false");
  if (!busy) started = finished = 0;
}

/** Parse Sentry's Link header into {previous, next} cursors (null when that side has no results). */
export function parseLink(header) {
  const found = { previous: null, next: null };
  for (const part of (header || "").split(",")) {
    const rel = /rel="(\w+)"/.exec(part)?.[1];
    const results = /results="(\w+)"/.exec(part)?.[1];
    const cursor = /cursor="([^"]*)"/.exec(part)?.[1];
    if (rel in found && results === "true") found[rel] = cursor;
  }
  return found;
}

/** Build an API path with query parameters; arrays repeat the parameter (``id=1&id=2``). */
export function apiPath(path, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null) query.append(key, item);
    }
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** Call the API; resolves to {data, status, link} and rejects with ApiError on anything but 2xx.
 * Requests run side by side (the API serves each in its own environment, as Lambda does): pages
 * start every request that does not need another's answer at once, with ``Promise.all``. */
export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  progress(1);
  try {
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      referrerPolicy: "no-referrer",
    });
    const text = await response.text();
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch { data = { detail: text }; }
    }
    if (!response.ok) throw new ApiError(response.status, data);
    return { data, status: response.status, link: parseLink(response.headers.get("Link")) };
  } finally {
    progress(-1);
  }
}

export const get = (path, params) => api("GET", apiPath(path, params));

export const enc = encodeURIComponent;
