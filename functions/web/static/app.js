// The router: every page lives behind ``/`` in the URL fragment (``#/demo/web/issues``), so the
// server serves one page and the sign-in token (``#token=…``) never reaches a server or its logs.

import { alertRuleFormPage, alertRuleHistoryPage, alertRulesPage } from "./alerts.js";
import { api, ApiError, session } from "./api.js";
import { errorPage, field, h, showError } from "./ui.js";
import { issuePage } from "./issue.js";
import { releasePage, releasesPage } from "./releases.js";
import { streamPage } from "./stream.js";

const main = () => document.getElementById("main");

// A sign-in link opened in a tab that is signed in with another token, until the person decides.
let pendingLink = null;

/** ``#token=…&org=…`` (the link ``make run`` prints): keep both in session storage, drop them from
 * the URL. A tab already signed in with another token asks first (``#/switch``): a link someone else
 * sent must not silently move the person into the sender's organization. */
function takeTokenFromFragment() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get("token");
  if (!token) return;
  const org = fragment.get("org") || "";
  if (session.token && session.token !== token) {
    pendingLink = { token, org };
    history.replaceState(null, "", `${location.pathname}#/switch`);
    return;
  }
  session.signIn(token, org);
  history.replaceState(null, "", `${location.pathname}#/`);
}

function switchPage(root) {
  const link = pendingLink;
  if (!link) {
    location.replace("#/");
    return;
  }
  document.title = "Replace this tab's sign-in? · Watchtower";
  const decide = (replace) => {
    pendingLink = null;
    if (replace) session.signIn(link.token, link.org);
    location.hash = "#/";
  };
  const target = link.org ? `organization ${link.org}` : "another organization";
  root.replaceChildren(
    h("h1", {}, "Replace this tab's sign-in?"),
    h("p", {}, `This tab is signed in to organization ${session.org}. The link you opened signs in to ${target} `
      + "with another token; everything you do afterwards would be done as that token's user."),
    h("p", {}, "Replace the sign-in only if you trust whoever sent the link."),
    h("div", { className: "toolbar" },
      h("button", { type: "button", className: "primary", onclick: () => decide(false) }, `Stay signed in to ${session.org}`),
      h("button", { type: "button", onclick: () => decide(true) }, `Sign in to ${target}`)));
  root.querySelector("button").focus();
}

function signInPage(root) {
  document.title = "Sign in · Watchtower";
  const token = h("input", { type: "password", name: "token", required: true, autocomplete: "off" });
  const org = h("input", { type: "text", name: "org", required: true, value: session.org || "" });
  const submit = h("button", { type: "submit", className: "primary" }, "Sign in");
  const form = h("form", { className: "signin", "aria-labelledby": "signin-title" },
    field("API token", token, "token"), field("Organization slug", org, "org"), submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    session.signIn(token.value.trim(), org.value.trim());
    submit.disabled = true;
    try {
      const { data } = await api("GET", "/api/0/");
      // A user token names its user; an organization token has scopes but no user.
      if (!data?.auth) throw new ApiError(401, { detail: "This token is not valid." });
      await api("GET", `/api/0/organizations/${encodeURIComponent(session.org)}/projects/`);
      location.hash = "#/";
    } catch (error) {
      session.signOut();
      showError(form, error);
    } finally {
      submit.disabled = false;
    }
  });
  root.replaceChildren(h("h1", { id: "signin-title" }, "Sign in"),
    h("p", {}, "Paste an API token (a user or organization token) and the organization it belongs to."), form);
}

async function home(root) {
  const { data: projects } = await api("GET", `/api/0/organizations/${encodeURIComponent(session.org)}/projects/`);
  if (projects.length) location.replace(`#/${session.org}/${projects[0].slug}/issues`);
  else root.replaceChildren(h("h1", {}, "No projects yet"), h("p", {}, "Create one with the API, then come back."));
}

function renderChrome(parts) {
  const nav = document.getElementById("nav");
  const who = document.getElementById("who");
  if (!session.token) {
    nav.replaceChildren();
    who.replaceChildren();
    return;
  }
  const org = session.org;
  const named = parts[1] && !["issues", "releases"].includes(parts[1]) ? parts[1] : null;
  if (named) session.project = named;
  const project = named || session.project;
  const links = [[`#/${org}/issues`, "All issues"]];
  if (project) {
    links.push([`#/${org}/${project}/issues`, `Issues · ${project}`], [`#/${org}/${project}/releases`, "Releases"],
      [`#/${org}/${project}/alerts`, "Alerts"]);
  }
  nav.replaceChildren(...links.map(([href, text]) =>
    h("a", { href, "aria-current": location.hash === href ? "page" : null }, text)));
  const signOut = h("button", { type: "button", onclick: () => { session.signOut(); location.hash = "#/signin"; } }, "Sign out");
  who.replaceChildren(h("span", {}, `Organization: ${org}`), signOut);
}

/** ``#/path?query`` → route; each page gets (root, params, query) and renders into ``main``. */
async function route() {
  takeTokenFromFragment();
  const [path, queryText] = location.hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const query = new URLSearchParams(queryText || "");
  const root = main();
  renderChrome(parts);
  if (!session.token || parts[0] === "signin") {
    signInPage(root);
    return;
  }
  if (parts[0] === "switch") {
    switchPage(root);
    return;
  }
  try {
    const [org, second, third, fourth, fifth] = parts;
    if (!org) await home(root);
    else if (second === "issues" && third) await issuePage(root, org, third, query);
    else if (second === "issues") await streamPage(root, org, null, query);
    else if (second === "releases" && third) await releasePage(root, org, third, query.get("project"));
    else if (third === "issues" && !fourth) await streamPage(root, org, second, query);
    else if (third === "releases" && !fourth) await releasesPage(root, org, second, query);
    else if (third === "alerts" && !fourth) await alertRulesPage(root, org, second);
    else if (third === "alerts" && fourth === "new" && !fifth) await alertRuleFormPage(root, org, second, null);
    else if (third === "alerts" && fifth === "history" && parts.length === 5) await alertRuleHistoryPage(root, org, second, fourth);
    else if (third === "alerts" && !fifth) await alertRuleFormPage(root, org, second, fourth);
    else root.replaceChildren(h("h1", {}, "Page not found"), h("p", {}, h("a", { href: "#/" }, "Back to the issues")));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      session.signOut();
      renderChrome(parts);
      signInPage(root);
      showError(root.querySelector("form"), error);
      return;
    }
    errorPage(root, error);
  }
  renderChrome(parts); // the page may have named the project (an issue's, a release's)
  if (document.activeElement === document.body) root.focus({ preventScroll: true });
}

window.addEventListener("hashchange", route);
route();
