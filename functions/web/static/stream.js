// The issue stream of a project or of the whole organization: the API's own search, its Link-header
// pages, and the bulk PUT/DELETE on the selected issues.

import { api, apiPath, enc } from "./api.js";
import { statusText } from "./issue.js";
import { busy, field, h, notice, sparkline, time } from "./ui.js";

const QUERIES = [
  ["is:unresolved", "Unresolved"],
  ["is:for_review", "For review"],
  ["is:ignored", "Archived / ignored"],
  ["is:resolved", "Resolved"],
  ["assigned:me", "Assigned to me"],
  ["bookmarks:me", "My bookmarks"],
  ["is:unassigned is:unresolved", "Unassigned"],
  ["", "All"],
];
const SORTS = [["date", "Last seen"], ["new", "First seen"], ["freq", "Events"], ["user", "Users"]];
const SORT_CAPTIONS = { date: "most recently seen first", new: "newest first", freq: "most events first", user: "most users first" };
const BADGES = { new: "New", regressed: "Regressed", escalating: "Escalating", ongoing: "Ongoing" };
const PER_PAGE = 25;

/** The bulk actions: label, method, body (Sentry's issue update fields), and whether to confirm. */
const BULK = [
  ["Resolve", "PUT", { status: "resolved" }],
  ["Ignore", "PUT", { status: "ignored", substatus: "archived_forever" }],
  ["Archive until escalating", "PUT", { status: "ignored", substatus: "archived_until_escalating", statusDetails: {} }],
  ["Bookmark", "PUT", { isBookmarked: true }],
  ["Merge", "PUT", { merge: true }, "Merge the selected issues into one?"],
  ["Delete", "DELETE", undefined, "Delete the selected issues? This cannot be undone."],
];

/** The issue's events of the last 24 hours (``stats["24h"]``) as a sparkline with a text alternative. */
export function lastDay(issue) {
  const counts = (issue.stats?.["24h"] || []).map(([, count]) => count);
  const total = counts.reduce((a, b) => a + b, 0);
  return sparkline(counts, `${total} event${total === 1 ? "" : "s"} in the last 24 hours`);
}

export function badges(issue) {
  const found = [];
  if (BADGES[issue.substatus]) found.push(h("span", { className: `badge ${issue.substatus}` }, BADGES[issue.substatus]));
  if (issue.inbox) found.push(h("span", { className: "badge review" }, "For review"));
  return found;
}

function hashFor(org, project, params) {
  const base = project ? `#/${org}/${project}/issues` : `#/${org}/issues`;
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== null && v !== undefined));
  const text = query.toString();
  return text ? `${base}?${text}` : base;
}

export async function streamPage(root, org, project, params) {
  const query = params.has("query") ? params.get("query") : "is:unresolved";
  const sort = SORT_CAPTIONS[params.get("sort")] ? params.get("sort") : "date";
  const cursor = params.get("cursor");
  const environment = params.get("environment") || null;
  // The sort travels with every link of the page, except the default one (clean addresses).
  const sortParam = sort === "date" ? null : sort;
  const listPath = project ? `/api/0/projects/${enc(org)}/${enc(project)}/issues/` : `/api/0/organizations/${enc(org)}/issues/`;
  const environmentsPath = project
    ? `/api/0/projects/${enc(org)}/${enc(project)}/environments/` : `/api/0/organizations/${enc(org)}/environments/`;
  const [{ data: issues, link }, { data: projects }, { data: environments }] = await Promise.all([
    api("GET", apiPath(listPath, { query, sort: sortParam, cursor, environment, per_page: PER_PAGE })),
    api("GET", `/api/0/organizations/${enc(org)}/projects/`),
    api("GET", environmentsPath),
  ]);
  document.title = `Issues · ${project || org} · Watchtower`;

  const search = h("input", { type: "search", name: "query", value: query, size: 40 });
  const saved = h("select", { name: "saved" },
    QUERIES.map(([value, label]) => h("option", { value, selected: value === query }, label)));
  saved.addEventListener("change", () => { location.hash = hashFor(org, project, { query: saved.value, sort: sortParam }); });
  const sorter = h("select", { name: "sort" },
    SORTS.map(([value, label]) => h("option", { value, selected: value === sort }, label)));
  sorter.addEventListener("change", () => {
    location.hash = hashFor(org, project, { query, sort: sorter.value === "date" ? null : sorter.value });
  });
  const projectPicker = h("select", { name: "project" },
    h("option", { value: "" }, "All projects"),
    projects.map((p) => h("option", { value: p.slug, selected: p.slug === project }, p.name)));
  projectPicker.addEventListener("change", () => {
    location.hash = hashFor(org, projectPicker.value || null, { query: search.value, sort: sortParam });
  });
  const environmentPicker = h("select", { name: "environment" },
    h("option", { value: "" }, "All environments"),
    environments.map((e) => h("option", { value: e.name, selected: e.name === environment }, e.name)));
  environmentPicker.addEventListener("change", () => {
    location.hash = hashFor(org, project, { query, sort: sortParam, environment: environmentPicker.value || null });
  });
  const searchForm = h("form", { className: "inline", role: "search" },
    field("Project", projectPicker), field("Environment", environmentPicker), field("Saved search", saved),
    field("Search", search, "query"),
    h("button", { type: "submit" }, "Search"), field("Sort by", sorter, "sort"));
  searchForm.addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = hashFor(org, project, { query: search.value, sort: sortParam, environment });
  });

  const checks = issues.map((issue) =>
    h("input", { type: "checkbox", value: issue.id, "aria-label": `Select ${issue.shortId}` }));
  const all = h("input", { type: "checkbox", id: "select-all", "aria-label": "Select all issues on this page" });
  const count = h("span", { className: "sub", "aria-live": "polite" }, "0 selected");
  const bulkButtons = BULK.map(([label]) => h("button", { type: "button", disabled: true, "data-bulk": label }, label));
  const selected = () => checks.filter((c) => c.checked).map((c) => c.value);
  const refresh = () => {
    const n = selected().length;
    count.textContent = `${n} selected`;
    all.checked = n > 0 && n === checks.length;
    for (const button of bulkButtons) button.disabled = n === 0 || (button.dataset.bulk === "Merge" && n < 2);
  };
  for (const check of checks) check.addEventListener("change", refresh);
  all.addEventListener("change", () => { for (const c of checks) c.checked = all.checked; refresh(); });

  const bulkBar = h("div", { className: "toolbar bulk", role: "toolbar", "aria-label": "Bulk actions" }, bulkButtons, count);
  const section = h("section", { "aria-labelledby": "stream-title" });
  BULK.forEach(([label, method, body, question], i) => {
    bulkButtons[i].addEventListener("click", () => busy(bulkButtons[i], section, async () => {
      const ids = selected();
      if (question && !window.confirm(question)) return;
      // The same scope as the list (one project, or the organization's), narrowed to the chosen ids.
      await api(method, apiPath(listPath, { id: ids }), body);
      await streamPage(root, org, project, params);
      notice(root.querySelector("section"), `${label}: done for ${ids.length} issue${ids.length === 1 ? "" : "s"}.`);
    }));
  });

  const rows = issues.map((issue, i) => h("tr", {},
    h("td", {}, checks[i]),
    h("td", {},
      h("a", { href: `#/${org}/issues/${issue.id}` }, issue.title), badges(issue),
      h("div", { className: "sub" }, h("span", { className: `level ${issue.level}` }, issue.level), " ",
        ...[issue.shortId, issue.culprit, statusText(issue)].filter(Boolean)
          .flatMap((part, i) => (i ? [" · ", part] : [part])))),
    h("td", {}, lastDay(issue)),
    h("td", { className: "num" }, issue.count),
    h("td", { className: "num" }, issue.userCount),
    h("td", {}, time(issue.firstSeen)),
    h("td", {}, time(issue.lastSeen)),
    h("td", {}, issue.assignedTo ? issue.assignedTo.name : "—")));

  const table = issues.length
    ? h("table", {},
      h("caption", { className: "visually-hidden" }, `Issues, ${SORT_CAPTIONS[sort]}`),
      h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, all), h("th", { scope: "col" }, "Issue"), h("th", { scope: "col" }, "Last 24 hours"),
        h("th", { scope: "col", className: "num" }, "Events"),
        h("th", { scope: "col", className: "num" }, "Users"), h("th", { scope: "col" }, "First seen"),
        h("th", { scope: "col" }, "Last seen"), h("th", { scope: "col" }, "Assignee"))),
      h("tbody", {}, rows))
    : h("p", {}, "No issues match this search.");

  const pager = h("nav", { className: "pager", "aria-label": "Pages" },
    link.previous !== null
      ? h("a", { className: "button", href: hashFor(org, project, { query, sort: sortParam, cursor: link.previous }) },
        "Previous page") : null,
    link.next !== null
      ? h("a", { className: "button", href: hashFor(org, project, { query, sort: sortParam, cursor: link.next }) },
        "Next page") : null);

  section.append(h("h1", { id: "stream-title" }, project ? `Issues of ${project}` : `Issues of ${org}`),
    searchForm, bulkBar, table, pager);
  root.replaceChildren(section);
  refresh();
}

