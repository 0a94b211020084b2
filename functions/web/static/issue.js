// The issue page: what the issue is and where it stands, and every action of Sentry's issue update
// (the buttons send exactly the PUT bodies Sentry's own issue page sends).

import { api, apiPath, enc, session } from "./api.js";
import { eventSection, eventsTab, loadEvent } from "./event.js";
import { badges, lastDay } from "./stream.js";
import { busy, field, h, notice, time } from "./ui.js";

const IGNORE_DURATIONS = [[30, "30 minutes"], [120, "2 hours"], [360, "6 hours"], [1440, "24 hours"], [10080, "1 week"]];
const WINDOWS = [["", "ever"], [60, "per hour"], [1440, "per day"], [10080, "per week"]];
const SUBSTATUS = {
  new: "new", regressed: "regressed", escalating: "escalating", ongoing: "ongoing",
  archived_until_escalating: "archived until escalating", archived_until_condition_met: "archived until a condition is met",
  archived_forever: "archived forever",
};

function windowText(minutes) {
  return minutes ? ` in ${minutes >= 60 ? `${minutes / 60} hour(s)` : `${minutes} minute(s)`}` : "";
}

/** "Resolved in 1.2.0", "Ignored until …", "Archived until escalating": status and its details. */
export function statusText(issue) {
  const d = issue.statusDetails || {};
  if (issue.status === "resolved") {
    if (d.inRelease) return `Resolved in ${d.inRelease}`;
    if (d.inNextRelease) return "Resolved in the next release";
    if (d.inCommit) return `Resolved in commit ${String(d.inCommit.id || d.inCommit.commit || "").slice(0, 12)}`;
    return "Resolved";
  }
  if (issue.status === "ignored") {
    if (d.ignoreUntilEscalating || issue.substatus === "archived_until_escalating") return "Archived until escalating";
    if (d.ignoreUntil) return `Ignored until ${new Date(d.ignoreUntil).toLocaleString()}`;
    if (d.ignoreCount) return `Ignored until ${d.ignoreCount} more event(s)${windowText(d.ignoreWindow)}`;
    if (d.ignoreUserCount) return `Ignored until ${d.ignoreUserCount} more user(s)${windowText(d.ignoreUserWindow)}`;
    return "Archived forever";
  }
  const sub = SUBSTATUS[issue.substatus];
  return sub ? `Unresolved (${sub})` : issue.status.replace("_", " ").replace(/^./, (c) => c.toUpperCase());
}

function menu(label, ...content) {
  return h("details", { className: "menu" }, h("summary", { className: "button" }, label), h("div", { className: "panel" }, content));
}

function radio(name, value, label, checked = false) {
  const input = h("input", { type: "radio", name, value, checked, id: `${name}-${value}` });
  return h("div", {}, input, " ", h("label", { for: input.id }, label));
}

// No min/max here: the API's validation is the one rule, and its 400 is shown next to the field.
function numberInput(name) {
  return h("input", { type: "number", name, step: 1, inputmode: "numeric" });
}

function resolveForm(releases, repositories) {
  const release = h("select", { name: "inRelease" }, releases.map((r) => h("option", { value: r.version }, r.version)));
  const commit = h("input", { type: "text", name: "commit", size: 42, spellcheck: "false" });
  const repository = h("select", { name: "repository" }, repositories.map((r) => h("option", { value: r.name }, r.name)));
  const form = h("form", { "aria-label": "Resolve options" },
    h("fieldset", {}, h("legend", {}, "Resolve"),
      radio("resolve", "now", "Now", true),
      radio("resolve", "next", "In the next release"),
      radio("resolve", "release", "In a chosen release"),
      radio("resolve", "commit", "In a commit")),
    field("Release", release, "inRelease"),
    field("Commit", commit, "commit"),
    field("Repository", repository, "repository"),
    h("button", { type: "submit", className: "primary" }, "Resolve"));
  form.body = () => {
    const kind = form.elements.resolve.value;
    if (kind === "next") return { status: "resolved", statusDetails: { inNextRelease: true } };
    if (kind === "release") return { status: "resolved", statusDetails: { inRelease: release.value } };
    if (kind === "commit") {
      return { status: "resolved", statusDetails: { inCommit: { commit: commit.value.trim(), repository: repository.value } } };
    }
    return { status: "resolved" };
  };
  return form;
}

function ignoreForm() {
  const duration = h("select", { name: "ignoreDuration" }, IGNORE_DURATIONS.map(([v, l]) => h("option", { value: v }, l)));
  const count = numberInput("ignoreCount");
  const countWindow = h("select", { name: "ignoreWindow" }, WINDOWS.map(([v, l]) => h("option", { value: v }, l)));
  const users = numberInput("ignoreUserCount");
  const usersWindow = h("select", { name: "ignoreUserWindow" }, WINDOWS.map(([v, l]) => h("option", { value: v }, l)));
  const form = h("form", { "aria-label": "Ignore options" },
    h("fieldset", {}, h("legend", {}, "Ignore"),
      radio("ignore", "duration", "For a while", true),
      radio("ignore", "count", "Until it happens N more times"),
      radio("ignore", "users", "Until N more users are affected"),
      radio("ignore", "forever", "Forever")),
    field("Duration", duration, "ignoreDuration"),
    field("Events", count, "ignoreCount"), field("Event window", countWindow, "ignoreWindow"),
    field("Users", users, "ignoreUserCount"), field("User window", usersWindow, "ignoreUserWindow"),
    h("button", { type: "submit", className: "primary" }, "Ignore"));
  const optional = (value) => (value === "" ? undefined : Number(value));
  form.body = () => {
    const kind = form.elements.ignore.value;
    const details = {
      duration: { ignoreDuration: Number(duration.value) },
      count: { ignoreCount: optional(count.value), ignoreWindow: optional(countWindow.value) },
      users: { ignoreUserCount: optional(users.value), ignoreUserWindow: optional(usersWindow.value) },
      forever: {},
    }[kind];
    const substatus = kind === "forever" ? "archived_forever" : "archived_until_condition_met";
    return { status: "ignored", substatus, statusDetails: details };
  };
  return form;
}

/** The assignee picker: the project's members (who can be assigned) and its teams. */
function assigneeForm(issue, me, members, teams) {
  const current = issue.assignedTo ? `${issue.assignedTo.type}:${issue.assignedTo.id}` : "";
  const person = (m) => (me && String(m.user.id) === String(me.id) ? `Me (${m.name || m.email})` : `${m.name} (${m.email})`);
  const users = members.map((m) => [`user:${m.user.id}`, person(m)]);
  const teamOptions = teams.map((team) => [`team:${team.id}`, `#${team.slug}`]);
  const known = [...users, ...teamOptions];
  if (current && !known.some(([v]) => v === current)) users.push([current, issue.assignedTo.name]);
  const option = ([v, l]) => h("option", { value: v, selected: v === current }, l);
  const select = h("select", { name: "assignedTo" },
    h("option", { value: "", selected: !current }, "Unassigned"),
    h("optgroup", { label: "People" }, users.map(option)),
    teamOptions.length ? h("optgroup", { label: "Teams" }, teamOptions.map(option)) : null);
  const form = h("form", { className: "inline", "aria-label": "Assignee" }, field("Assignee", select, "assignedTo"),
    h("button", { type: "submit" }, "Assign"));
  form.body = () => ({ assignedTo: select.value });
  return form;
}

function facts(issue) {
  const rows = [
    ["Project", issue.project.name], ["Level", issue.level], ["Events", issue.count],
    ["Last 24 hours", lastDay(issue)], ["Users", issue.userCount],
    ["First seen", time(issue.firstSeen)], ["Last seen", time(issue.lastSeen)],
    ["First release", issue.firstRelease ? issue.firstRelease.version : "none"],
    ["Last release", issue.lastRelease ? issue.lastRelease.version : "none"],
    ["Assignee", issue.assignedTo ? `${issue.assignedTo.type === "team" ? "#" : ""}${issue.assignedTo.name}` : "nobody"],
    ["Bookmarked", issue.isBookmarked ? "yes" : "no"], ["Subscribed", issue.isSubscribed ? "yes" : "no"],
    ["Shared", issue.isPublic ? `yes (share id ${issue.shareId})` : "no"],
  ];
  return h("dl", { className: "facts" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

/** One activity entry as a sentence ("Demo Owner resolved the issue in 1.2.0"); a type without a
 * name arrives as its number. */
function activityText(entry, teams) {
  const d = entry.data || {};
  const team = (id) => teams.find((t) => String(t.id) === String(id));
  const assignee = d.assigneeType === "team" ? `#${team(d.assignee)?.slug || d.assignee}` : d.assigneeEmail || "a user";
  const ignored = () => {
    if (d.ignoreUntilEscalating) return "archived the issue until it escalates";
    if (d.ignoreDuration) return `ignored the issue for ${d.ignoreDuration} minutes`;
    if (d.ignoreCount) return `ignored the issue until ${d.ignoreCount} more events${windowText(d.ignoreWindow)}`;
    if (d.ignoreUserCount) return `ignored the issue until ${d.ignoreUserCount} more users${windowText(d.ignoreUserWindow)}`;
    return "archived the issue";
  };
  const sentences = {
    set_resolved: "resolved the issue",
    set_resolved_in_release: d.version ? `resolved the issue in ${d.version}` : "resolved the issue in the next release",
    set_resolved_in_commit: "resolved the issue in a commit",
    set_resolved_by_age: "resolved the issue for its age",
    set_unresolved: "marked the issue unresolved",
    set_ignored: ignored(),
    set_regression: "saw the issue regress",
    set_public: "shared the issue",
    set_private: "stopped sharing the issue",
    assigned: `assigned the issue to ${assignee}`,
    unassigned: "unassigned the issue",
    mark_reviewed: "marked the issue reviewed",
    auto_set_ongoing: "marked the issue ongoing",
    set_escalating: "saw the issue escalate",
    merge: `merged ${(d.issues || []).length} issue(s) into this one`,
    referenced_in_commit: "saw the issue referenced in a commit",
    first_seen: "saw the issue for the first time",
    set_priority: `set the priority to ${d.priority}`,
    alert_fired: `fired the alert rule “${d.rule?.name}”`,
  };
  return `${entry.user ? entry.user.name : "Watchtower"} ${sentences[entry.type] || String(entry.type).replaceAll("_", " ")}`;
}

/** Tag facets: each key with its top values and their share of the key's events. */
function tagsSection(tags) {
  const share = (value, total) => `${Math.round((100 * value.count) / Math.max(total, 1))} %`;
  return h("section", { "aria-labelledby": "tags-title" },
    h("h2", { id: "tags-title" }, "Tags"),
    tags.length
      ? h("dl", { className: "facts tags", id: "tags" }, tags.map((tag) => [
        h("dt", {}, tag.name),
        h("dd", {}, tag.topValues.map((v) => `${v.value}: ${share(v, tag.totalValues)}`).join(" · ")),
      ]))
      : h("p", {}, "No tags yet."));
}

function activitySection(issue, teams) {
  const entries = issue.activity || [];
  return h("section", { "aria-labelledby": "activity-title" },
    h("h2", { id: "activity-title" }, "Activity"),
    entries.length
      ? h("ol", { className: "activity", id: "activity", reversed: true },
        entries.map((entry) => h("li", {}, activityText(entry, teams), " · ", time(entry.dateCreated))))
      : h("p", {}, "Nothing yet."));
}

/** The issue's two tabs: its details (one event at a time) and the list of its events. */
function tabs(org, issueId, current) {
  const tab = (label, href, name) => h("a", { href, "aria-current": current === name ? "page" : null, className: "tab" }, label);
  return h("nav", { className: "tabs", "aria-label": "Issue tabs" },
    tab("Details", `#/${org}/issues/${enc(issueId)}`, "details"),
    tab("Events", `#/${org}/issues/${enc(issueId)}?tab=events`, "events"));
}

export async function issuePage(root, org, issueId, query = new URLSearchParams()) {
  // Everything that needs only the issue id or the organization starts at once; what needs the
  // issue's project starts as soon as the issue answers.
  const tab = query.get("tab") === "events" ? "events" : "details";
  const hashFor = (eventId) => `#/${org}/issues/${enc(issueId)}?event=${enc(eventId)}`;
  const pageHash = (cursor) => `#/${org}/issues/${enc(issueId)}?tab=events&cursor=${enc(cursor)}`;
  const issueAnswer = api("GET", `/api/0/issues/${enc(issueId)}/`).then((r) => r.data);
  const eventAnswer = issueAnswer.then((issue) => (tab === "events"
    ? eventsTab(issue, query.get("cursor"), hashFor, pageHash)
    : loadEvent(org, issue, query.get("event") || "latest")));
  const shared = Promise.all([
    api("GET", "/api/0/"),
    api("GET", apiPath(`/api/0/organizations/${enc(org)}/repos/`, { per_page: 100 })),
  ].map((p) => p.then((r) => r.data)));
  const tags = api("GET", `/api/0/issues/${enc(issueId)}/tags/`).then((r) => r.data);
  const [issue] = await Promise.all([issueAnswer, eventAnswer, shared, tags]);
  session.project = issue.project.slug;
  const projectPath = `/api/0/projects/${enc(org)}/${enc(issue.project.slug)}/`;
  const [[project, members, releases], [whoami, repositories], event] = await Promise.all([
    Promise.all([
      api("GET", projectPath),
      api("GET", `${projectPath}members/`),
      api("GET", apiPath(`${projectPath}releases/`, { per_page: 100 })),
    ].map((p) => p.then((r) => r.data))),
    shared, eventAnswer]);
  const eventPart = tab === "events" ? event : eventSection(event, issue, hashFor);
  const teams = project.teams;
  document.title = `${issue.shortId} · ${issue.title} · Watchtower`;
  const section = h("section", { "aria-labelledby": "issue-title" });
  const put = (body, done) => api("PUT", `/api/0/issues/${enc(issue.id)}/`, body).then(async ({ status }) => {
    if (status === 204) { // discarded: the issue is gone
      location.hash = `#/${org}/${issue.project.slug}/issues`;
      return;
    }
    await issuePage(root, org, issue.id, query);
    notice(root.querySelector("section"), done);
  });
  const button = (label, body, done, extra = {}) => {
    const b = h("button", { type: "button", ...extra }, label);
    b.addEventListener("click", () => busy(b, section, () => put(body, done)));
    return b;
  };
  const submitting = (form, done) => {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(form.querySelector("button[type=submit]"), form, () => put(form.body(), done));
    });
    return form;
  };

  const resolved = issue.status === "resolved";
  const ignored = issue.status === "ignored";
  const actions = [
    resolved
      ? button("Unresolve", { status: "unresolved" }, "Marked unresolved.")
      : button("Resolve", { status: "resolved" }, "Resolved.", { className: "primary" }),
    resolved ? null : menu("Resolve in…", submitting(resolveForm(releases, repositories), "Resolved.")),
    ignored
      ? button("Unignore", { status: "unresolved" }, "Marked unresolved.")
      : menu("Ignore…", submitting(ignoreForm(), "Ignored.")),
    ignored ? null : button("Archive until escalating",
      { status: "ignored", substatus: "archived_until_escalating", statusDetails: {} }, "Archived until escalating."),
    button(issue.isBookmarked ? "Remove bookmark" : "Bookmark", { isBookmarked: !issue.isBookmarked }, "Bookmark updated.",
      { "aria-pressed": String(issue.isBookmarked) }),
    button(issue.isSubscribed ? "Unsubscribe" : "Subscribe", { isSubscribed: !issue.isSubscribed }, "Subscription updated.",
      { "aria-pressed": String(issue.isSubscribed) }),
    button("Mark reviewed", { inbox: false }, "Marked reviewed.", { disabled: !issue.inbox }),
    button(issue.isPublic ? "Stop sharing" : "Share", { isPublic: !issue.isPublic }, "Sharing updated.",
      { "aria-pressed": String(issue.isPublic) }),
  ];
  if ((project.features || []).includes("discard-groups")) {
    const discard = h("button", { type: "button", className: "danger" }, "Delete and discard");
    discard.addEventListener("click", () => busy(discard, section, async () => {
      if (window.confirm("Delete this issue and discard its future events?")) await put({ discard: true }, "Discarded.");
    }));
    actions.push(discard);
  }
  const remove = h("button", { type: "button", className: "danger" }, "Delete");
  remove.addEventListener("click", () => busy(remove, section, async () => {
    if (!window.confirm("Delete this issue? This cannot be undone.")) return;
    await api("DELETE", `/api/0/issues/${enc(issue.id)}/`);
    location.hash = `#/${org}/${issue.project.slug}/issues`;
  }));
  actions.push(remove);

  section.append(
    h("p", { className: "sub" }, h("a", { href: `#/${org}/${issue.project.slug}/issues` }, `Issues of ${issue.project.slug}`),
      " › ", issue.shortId),
    h("h1", { id: "issue-title" }, issue.title, badges(issue)),
    h("p", { className: "sub" }, h("span", { className: `level ${issue.level}` }, issue.level), " · ", issue.shortId,
      " · ", issue.culprit || "no culprit"),
    h("p", { className: "status-line", id: "issue-status" }, h("strong", {}, statusText(issue))),
    h("div", { className: "toolbar", role: "group", "aria-label": "Issue actions" }, actions),
    submitting(assigneeForm(issue, whoami.user, members, teams), "Assignee updated."),
    tabs(org, issue.id, tab),
    eventPart,
    h("h2", {}, "Details"), facts(issue),
    tagsSection(await tags),
    activitySection(issue, teams));
  root.replaceChildren(section);
}

