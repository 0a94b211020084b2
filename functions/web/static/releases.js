// Releases of a project and one release: its commits and authors, the newest commit per repository,
// the issues it resolved, its deploys, its uploaded source maps, and finalize / archive / restore (the
// release PUT).

import { api, ApiError, apiPath, enc } from "./api.js";
import { statusText } from "./issue.js";
import { busy, h, notice, time } from "./ui.js";

const PER_PAGE = 25;

export async function releasesPage(root, org, project, params) {
  const status = params.get("status") || "open";
  const cursor = params.get("cursor");
  const { data: releases, link } = await api("GET",
    apiPath(`/api/0/projects/${enc(org)}/${enc(project)}/releases/`, { status, cursor, per_page: PER_PAGE }));
  document.title = `Releases · ${project} · Watchtower`;
  const page = (extra) => `#/${org}/${project}/releases?${new URLSearchParams({ status, ...extra })}`;
  const rows = releases.map((r) => h("tr", {},
    h("th", { scope: "row" }, h("a", { href: `#/${org}/releases/${enc(r.version)}?project=${enc(project)}` }, r.version)),
    h("td", {}, time(r.dateReleased || r.dateCreated)),
    h("td", { className: "num" }, r.commitCount),
    h("td", { className: "num" }, r.authors.length),
    h("td", { className: "num" }, r.newGroups),
    h("td", { className: "num" }, r.deployCount)));
  const statusLinks = h("nav", { className: "toolbar", "aria-label": "Release status" },
    [["open", "Open"], ["archived", "Archived"]].map(([value, label]) =>
      h("a", { className: "button", href: `#/${org}/${project}/releases?status=${value}`,
        "aria-current": value === status ? "page" : null }, label)));
  root.replaceChildren(h("section", { "aria-labelledby": "releases-title" },
    h("h1", { id: "releases-title" }, `Releases of ${project}`), statusLinks,
    releases.length
      ? h("table", {}, h("caption", { className: "visually-hidden" }, "Releases, newest first"),
        h("thead", {}, h("tr", {}, ["Version", "Date", "Commits", "Authors", "New issues", "Deploys"].map((c, i) =>
          h("th", { scope: "col", className: i > 1 ? "num" : null }, c)))),
        h("tbody", {}, rows))
      : h("p", {}, "No releases."),
    h("nav", { className: "pager", "aria-label": "Pages" },
      link.previous !== null ? h("a", { className: "button", href: page({ cursor: link.previous }) }, "Previous page") : null,
      link.next !== null ? h("a", { className: "button", href: page({ cursor: link.next }) }, "Next page") : null)));
}

/** The issues of the release's projects whose resolution names this release. */
async function resolvedIn(org, release) {
  const pages = await Promise.all(release.projects.map((p) => api("GET",
    apiPath(`/api/0/projects/${enc(org)}/${enc(p.slug)}/issues/`, { query: "is:resolved", per_page: 100 }))));
  return pages.flatMap(({ data }) => data).filter((issue) => issue.statusDetails?.inRelease === release.version);
}

/** The issues the release introduced: first seen in it (the search's ``first-release:``). */
async function introducedIn(org, release) {
  const query = `first-release:"${release.version.replaceAll('"', '\\"')}"`;
  const pages = await Promise.all(release.projects.map((p) => api("GET",
    apiPath(`/api/0/projects/${enc(org)}/${enc(p.slug)}/issues/`, { query, per_page: 100 }))));
  return pages.flatMap(({ data }) => data);
}

/** Deploys, when the API serves them for releases (an older API answers 404: the section says so). */
async function deploys(base) {
  try {
    return (await api("GET", `${base}deploys/`)).data;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 405)) return null;
    throw error;
  }
}

function commitRow(commit) {
  return h("li", {},
    h("code", {}, commit.id.slice(0, 12)), " ", (commit.message || "").split("\n")[0],
    h("div", { className: "sub" },
      commit.author ? `${commit.author.name || commit.author.email} <${commit.author.email}>` : "unknown author",
      commit.repository ? ` · ${commit.repository.name}` : "", " · ", time(commit.dateCreated)));
}

/** The artifact bundles (source maps) uploaded for a release, over its projects, each once. */
async function sourceMaps(org, release) {
  const lists = await Promise.all(release.projects.map((p) => api("GET",
    apiPath(`/api/0/projects/${enc(org)}/${enc(p.slug)}/files/artifact-bundles/`, { query: release.version }))));
  const bundles = new Map();
  for (const { data } of lists) for (const bundle of data) bundles.set(bundle.bundleId, bundle);
  return [...bundles.values()];
}

function bundleRow(bundle) {
  const dist = bundle.associations.find((a) => a.dist)?.dist;
  return h("li", {}, h("code", {}, bundle.bundleId.slice(0, 12)), ` · ${bundle.fileCount} files`,
    dist ? ` · dist ${dist}` : "", " · ", time(bundle.date));
}

export async function releasePage(root, org, version, project) {
  const base = `/api/0/organizations/${enc(org)}/releases/${enc(version)}/`;
  const { data: release } = await api("GET", base);
  const [{ data: commits }, fixed, deployList, bundles, introduced] = await Promise.all([
    api("GET", `${base}commits/`), resolvedIn(org, release), deploys(base), sourceMaps(org, release),
    introducedIn(org, release)]);
  document.title = `Release ${release.version} · Watchtower`;
  const section = h("section", { "aria-labelledby": "release-title" });
  const change = (label, body, done, className) => {
    const b = h("button", { type: "button", className }, label);
    b.addEventListener("click", () => busy(b, section, async () => {
      await api("PUT", base, body);
      await releasePage(root, org, version, project);
      notice(root.querySelector("section"), done);
    }));
    return b;
  };
  const heads = new Map();
  for (const commit of commits) {
    const name = commit.repository?.name || "unknown repository";
    if (!heads.has(name)) heads.set(name, commit); // commits come newest first
  }
  const listProject = project || release.projects[0]?.slug;
  section.append(
    listProject ? h("p", { className: "sub" }, h("a", { href: `#/${org}/${listProject}/releases` }, `Releases of ${listProject}`)) : null,
    h("h1", { id: "release-title" }, `Release ${release.version}`),
    h("dl", { className: "facts" },
      h("dt", {}, "Status"), h("dd", {}, release.status),
      h("dt", {}, "Created"), h("dd", {}, time(release.dateCreated)),
      h("dt", {}, "Released"), h("dd", {}, release.dateReleased ? time(release.dateReleased) : "not finalized"),
      h("dt", {}, "Projects"), h("dd", {}, release.projects.map((p) => p.slug).join(", ") || "none"),
      h("dt", {}, "Commits"), h("dd", {}, release.commitCount),
      h("dt", {}, "Authors"), h("dd", {}, release.authors.map((a) => a.name || a.email).join(", ") || "none"),
      h("dt", {}, "New issues"), h("dd", {}, release.newGroups)),
    h("div", { className: "toolbar", role: "group", "aria-label": "Release actions" },
      release.dateReleased ? null : change("Finalize", { dateReleased: new Date().toISOString() }, "Finalized.", "primary"),
      release.status === "archived"
        ? change("Restore", { status: "open" }, "Restored.")
        : change("Archive", { status: "archived" }, "Archived.")),
    h("h2", {}, "New issues in this release"),
    introduced.length
      ? h("ul", { id: "new-issues" }, introduced.map((issue) => h("li", {},
        h("a", { href: `#/${org}/issues/${issue.id}` }, `${issue.shortId}: ${issue.title}`), " — ", statusText(issue))))
      : h("p", {}, "None."),
    h("h2", {}, "Issues resolved in this release"),
    fixed.length
      ? h("ul", { id: "resolved-issues" }, fixed.map((issue) => h("li", {},
        h("a", { href: `#/${org}/issues/${issue.id}` }, `${issue.shortId}: ${issue.title}`), " — ", statusText(issue))))
      : h("p", {}, "None."),
    h("h2", {}, `Commits (${commits.length})`),
    commits.length ? h("ol", { id: "commits" }, commits.map(commitRow)) : h("p", {}, "No commits."),
    h("h2", {}, "Head commits"),
    heads.size
      ? h("ul", {}, [...heads].map(([name, commit]) => h("li", {}, `${name}: `, h("code", {}, commit.id.slice(0, 12)))))
      : h("p", {}, "None."),
    h("h2", {}, "Deploys"),
    deployList === null
      ? h("p", {}, "This API does not list deploys.")
      : deployList.length
        ? h("ul", {}, deployList.map((d) => h("li", {}, d.environment, " · ", time(d.dateFinished || d.dateStarted))))
        : h("p", {}, "No deploys."),
    h("h2", {}, "Source maps"),
    bundles.length ? h("ul", { id: "artifact-bundles" }, bundles.map(bundleRow)) : h("p", {}, "No source maps uploaded."));
  root.replaceChildren(section);
}
