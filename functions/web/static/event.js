// One event of an issue as Sentry's event endpoints answer it: its exceptions (every frame, in-app
// first, the rest folded), message, breadcrumbs, request, user, contexts, tags and attachments, with
// older / newer / oldest / latest navigation and the raw JSON; and the issue's list of events.

import { api, apiPath, enc } from "./api.js";
import { h, time } from "./ui.js";

const EVENTS_PER_PAGE = 25;

/** The value of one of the event's tags (``release``, ``environment``, …), or null. */
export function tagValue(event, key) {
  return (event.tags || []).find((t) => t.key === key)?.value ?? null;
}

/** The user as one line: email, username, id or IP, whichever the SDK sent first. */
export function userText(user) {
  if (!user) return null;
  return user.email || user.username || user.name || (user.id != null ? `id:${user.id}` : null) || user.ip_address || null;
}

function text(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** A two-column list of pairs (``[[key, value], …]`` or an object), labelled by ``titleId``. */
function pairs(entries, titleId, className = "pairs") {
  const rows = Array.isArray(entries) ? entries : Object.entries(entries || {});
  return h("dl", { className, "aria-labelledby": titleId },
    rows.filter((pair) => Array.isArray(pair) && pair.length >= 2)
      .map(([k, v]) => [h("dt", {}, text(k)), h("dd", {}, text(v))]));
}

function part(id, title, ...content) {
  return h("section", { className: "event-part", "aria-labelledby": id, id: `${id}-part` }, h("h3", { id }, title), content);
}

/** One frame: where it is, expandable to its source lines (its own line marked) and variables. */
function frameView(frame, open) {
  const where = [frame.filename || frame.absPath || frame.module || "?", frame.function ? ` in ${frame.function}` : "",
    frame.lineNo != null ? ` at line ${frame.lineNo}` : "", frame.colNo != null ? `:${frame.colNo}` : ""].join("");
  const source = (frame.context || []).map(([number, line]) => h("li", {
    value: number, className: number === frame.lineNo ? "current" : null,
    "aria-current": number === frame.lineNo ? "true" : null,
  }, h("code", {}, line)));
  const vars = frame.vars && Object.keys(frame.vars).length
    ? h("dl", { className: "pairs vars", "aria-label": "Local variables" },
      Object.entries(frame.vars).map(([k, v]) => [h("dt", {}, k), h("dd", {}, text(v))]))
    : null;
  return h("details", { className: `frame${frame.inApp ? " in-app" : ""}`, open },
    h("summary", {}, h("code", {}, where), frame.inApp ? h("span", { className: "badge app" }, "In app") : null),
    source.length ? h("ol", { className: "source" }, source) : h("p", { className: "sub" }, "No source lines were sent."),
    vars);
}

/** A stack trace's in-app frames (most recent first, the newest open), then every frame behind
 * one more disclosure. */
function framesView(stacktrace) {
  const frames = [...(stacktrace?.frames || [])].reverse();
  const inApp = frames.filter((f) => f.inApp);
  const omitted = stacktrace?.framesOmitted;
  return [
    inApp.length
      ? h("div", { className: "frames app-frames" }, inApp.map((f, i) => frameView(f, i === 0)))
      : h("p", { className: "sub" }, frames.length ? "No frame of this stack trace is in app." : "No stack trace."),
    frames.length
      ? h("details", { className: "full-trace" },
        h("summary", { className: "button" }, `Full stack trace (${frames.length} frame${frames.length === 1 ? "" : "s"})`),
        omitted ? h("p", { className: "sub" }, `${omitted[1] - omitted[0]} frames in the middle were left out.`) : null,
        h("div", { className: "frames" }, frames.map((f) => frameView(f, false))))
      : null,
  ];
}

/** One exception of the chain with its frames; when source maps resolved them, a toggle button
 * switches between the original frames and the minified ones the SDK sent (``rawStacktrace``). */
function exceptionView(value, index) {
  const mechanism = value.mechanism;
  const trace = h("div", { className: "trace", id: `trace-${index}`, "data-frames": "original" },
    framesView(value.stacktrace));
  let toggle = null;
  if (value.rawStacktrace) {
    // The label names what a press shows, so it carries the state (no aria-pressed beside it).
    toggle = h("button", { type: "button", className: "frames-toggle", "aria-controls": trace.id }, "Show minified");
    toggle.addEventListener("click", () => {
      const minified = trace.dataset.frames === "original";
      toggle.textContent = minified ? "Show original" : "Show minified";
      trace.dataset.frames = minified ? "minified" : "original";
      trace.replaceChildren(...framesView(minified ? value.rawStacktrace : value.stacktrace).filter(Boolean));
    });
  }
  return h("div", { className: "exception", "data-exception": index },
    h("div", { className: "exception-head" },
      h("h3", {}, h("strong", {}, value.type || "Error"), value.value ? `: ${value.value}` : ""), toggle),
    value.module ? h("p", { className: "sub" }, `in module ${value.module}`) : null,
    mechanism ? h("p", { className: "sub" }, `mechanism: ${mechanism.type || "generic"}`,
      mechanism.handled === false ? " · unhandled" : mechanism.handled === true ? " · handled" : "") : null,
    trace);
}

/** What went wrong processing the event (Sentry's ``errors``): each message with its details. */
function processingErrorsView(errors) {
  if (!errors?.length) return null;
  return part("processing-errors-title", `Processing errors (${errors.length})`,
    h("ul", { className: "processing-errors" }, errors.map((e, i) => h("li", { "data-error-type": e.type },
      h("strong", { id: `processing-error-${i}` }, e.message), ` (${e.type})`,
      Object.keys(e.data || {}).length ? pairs(e.data, `processing-error-${i}`) : null))));
}

function breadcrumbsView(entry) {
  const crumbs = entry?.data?.values || [];
  if (!crumbs.length) return null;
  return part("breadcrumbs-title", `Breadcrumbs (${crumbs.length})`,
    h("table", { className: "breadcrumbs" },
      h("thead", {}, h("tr", {}, ["Time", "Category", "Level", "Message"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, crumbs.map((c) => h("tr", {},
        h("td", {}, c.timestamp ? time(c.timestamp) : "—"),
        h("td", {}, c.category || c.type || "default"),
        h("td", {}, c.level || ""),
        h("td", {}, c.message || (c.data ? text(c.data) : "")))))));
}

function requestView(entry) {
  const r = entry?.data;
  if (!r) return null;
  return part("request-title", "Request",
    h("p", { className: "request-line" }, h("strong", {}, r.method || "GET"), " ", h("code", {}, r.url || "")),
    r.query?.length ? [h("h4", { id: "request-query" }, "Query"), pairs(r.query, "request-query")] : null,
    r.data ? [h("h4", {}, "Body"), h("pre", { className: "message" }, text(r.data))] : null,
    r.headers?.length ? [h("h4", { id: "request-headers" }, "Headers"), pairs(r.headers, "request-headers")] : null,
    r.env && Object.keys(r.env).length ? [h("h4", { id: "request-env" }, "Environment"), pairs(r.env, "request-env")] : null);
}

function userView(user) {
  if (!user) return null;
  const rows = ["id", "email", "username", "name", "ip_address"].filter((k) => user[k] != null).map((k) => [k, user[k]]);
  for (const [k, v] of Object.entries(user.data || {})) rows.push([k, v]);
  return rows.length ? part("user-title", "User", pairs(rows, "user-title")) : null;
}

function contextsView(contexts) {
  const names = Object.keys(contexts || {});
  if (!names.length) return null;
  return part("contexts-title", "Contexts", names.map((name, i) => h("div", { className: "context" },
    h("h4", { id: `context-${i}` }, name),
    pairs(Object.entries(contexts[name] || {}).filter(([k]) => k !== "type"), `context-${i}`))));
}

function tagsView(tags) {
  return tags?.length ? part("tags-title", "Tags", pairs(tags.map((t) => [t.key, t.value]), "tags-title", "tags")) : null;
}

/** A download with the signed-in token: the API answers the bytes, the browser saves them. */
function downloadButton(path, attachment) {
  const button = h("button", { type: "button" }, `Download ${attachment.name}`);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const response = await fetch(apiPath(path, { download: 1 }), {
        headers: { Authorization: `Bearer ${sessionStorage.getItem("watchtower.token")}` },
        credentials: "omit", referrerPolicy: "no-referrer",
      });
      if (!response.ok) throw new Error(`The API answered ${response.status}.`);
      const url = URL.createObjectURL(await response.blob());
      const link = h("a", { href: url, download: attachment.name });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (error) {
      button.after(h("span", { className: "field-error", role: "alert" }, ` ${error.message}`));
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

function attachmentsView(attachments, base) {
  if (!attachments.length) return null;
  return part("attachments-title", `Attachments (${attachments.length})`,
    h("ul", { className: "attachments" }, attachments.map((a) => h("li", { "data-attachment": a.id },
      h("strong", {}, a.name), ` · ${a.mimetype} · ${a.size} bytes · `, downloadButton(`${base}${enc(a.id)}/`, a)))));
}

/** The navigation between an issue's events: each target a link, or a disabled button at the end. */
function eventNavigation(event, hashFor) {
  const step = (label, target) => (target
    ? h("a", { className: "button", href: hashFor(target) }, label)
    : h("button", { type: "button", disabled: true }, label));
  return h("nav", { className: "toolbar event-nav", "aria-label": "Events of this issue" },
    step("Oldest", event.previousEventID ? "oldest" : null),
    step("Older", event.previousEventID),
    step("Newer", event.nextEventID),
    step("Latest", event.nextEventID ? "latest" : null));
}

/** The event ``which`` (an event id, ``latest`` or ``oldest``) of the issue, or null when the issue
 * has no event stored; its attachments are read as soon as the event answers. */
export async function loadEvent(org, issue, which) {
  let event;
  try {
    ({ data: event } = await api("GET", `/api/0/issues/${enc(issue.id)}/events/${enc(which)}/`));
  } catch (error) {
    if (error.status === 404 && ["latest", "oldest"].includes(which)) return { event: null, attachments: [] };
    throw error;
  }
  const base = `/api/0/projects/${enc(org)}/${enc(issue.project.slug)}/events/${enc(event.eventID)}/attachments/`;
  const { data: attachments } = await api("GET", base);
  return { event, attachments, base };
}

/** The event's section of the issue page. */
export function eventSection({ event, attachments, base }, issue, hashFor) {
  const title = h("h2", { id: "event-title" }, "Event");
  if (!event) {
    const m = issue.metadata || {};
    return h("section", { "aria-labelledby": "event-title" }, title,
      h("p", { className: "sub" }, "No event of this issue is stored yet."),
      m.type ? h("p", {}, h("strong", {}, m.type), m.value ? `: ${m.value}` : "") : null);
  }
  const entry = (type) => (event.entries || []).find((e) => e.type === type);
  const exception = entry("exception");
  const message = entry("message");
  const facts = [["Release", event.release?.version || tagValue(event, "release")], ["Environment", tagValue(event, "environment")],
    ["User", userText(event.user)], ["Platform", event.platform]].filter(([, v]) => v);
  return h("section", { "aria-labelledby": "event-title", id: "latest-event" }, title,
    eventNavigation(event, hashFor),
    h("p", { className: "sub", id: "event-id" }, `Event ${event.eventID} · `, time(event.dateCreated),
      facts.map(([k, v]) => ` · ${k}: ${v}`)),
    processingErrorsView(event.errors),
    exception ? [...exception.data.values].reverse().map((v, i) => exceptionView(v, i)) : null,
    message ? h("pre", { className: "message" }, message.data.formatted) : null,
    breadcrumbsView(entry("breadcrumbs")),
    requestView(entry("request")),
    userView(event.user),
    contextsView(event.contexts),
    tagsView(event.tags),
    attachmentsView(attachments, base),
    h("details", { className: "raw-json" }, h("summary", { className: "button" }, "Raw JSON"),
      h("pre", { className: "message", tabindex: 0, "aria-label": "The event as the API answers it" },
        JSON.stringify(event, null, 2))));
}

/** The issue's events, newest first, a page at a time (Sentry's cursors in the Link header). */
export async function eventsTab(issue, cursor, hashFor, pageHash) {
  const { data: events, link } = await api("GET",
    apiPath(`/api/0/issues/${enc(issue.id)}/events/`, { cursor, per_page: EVENTS_PER_PAGE }));
  const rows = events.map((e) => h("tr", { "data-event": e.eventID },
    h("td", {}, h("a", { href: hashFor(e.eventID) }, e.eventID.slice(0, 12))),
    h("td", {}, time(e.dateCreated)),
    h("td", {}, tagValue(e, "release") || "—"),
    h("td", {}, tagValue(e, "environment") || "—"),
    h("td", {}, userText(e.user) || tagValue(e, "user") || "—")));
  return h("section", { "aria-labelledby": "events-title", id: "issue-events" },
    h("h2", { id: "events-title" }, "Events"),
    events.length
      ? h("table", {},
        h("caption", { className: "visually-hidden" }, "Events of this issue, newest first"),
        h("thead", {}, h("tr", {}, ["Event", "Time", "Release", "Environment", "User"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, rows))
      : h("p", {}, "No event of this issue is stored yet."),
    h("div", { className: "pager" },
      link.previous ? h("a", { className: "button", href: pageHash(link.previous) }, "Newer events") : null,
      link.next ? h("a", { className: "button", href: pageHash(link.next) }, "Older events") : null));
}
