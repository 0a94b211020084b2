// A project's issue alert rules: the list (with the webhooks and Slack plugins their actions post
// through), the form that creates or edits one (Sentry's condition, filter and action ids and
// fields), deleting one, and a rule's history (the issues it fired for). The API's validation is
// the one rule: its 400 field messages are shown next to the part of the form they name.

import { api, enc } from "./api.js";
import { busy, field, h, notice, time } from "./ui.js";

const C = "sentry.rules.conditions.";
const F = "sentry.rules.filters.";
const EMAIL = "sentry.mail.actions.NotifyEmailAction";
const SERVICE = "sentry.rules.actions.notify_event_service.NotifyEventServiceAction";
const INTERVALS = [["1m", "one minute"], ["5m", "5 minutes"], ["15m", "15 minutes"], ["1h", "one hour"],
  ["1d", "one day"], ["1w", "one week"], ["30d", "30 days"]];
const LEVELS = [["50", "fatal"], ["40", "error"], ["30", "warning"], ["20", "info"], ["10", "debug"]];
const TAG_MATCHES = [["eq", "equals"], ["ne", "does not equal"], ["sw", "starts with"], ["ew", "ends with"],
  ["co", "contains"], ["nc", "does not contain"], ["is", "is set"], ["ns", "is not set"]];
// Sentry's choices of the action interval (minutes).
const FREQUENCIES = [[5, "5 minutes"], [10, "10 minutes"], [30, "30 minutes"], [60, "one hour"], [180, "3 hours"],
  [720, "12 hours"], [1440, "one day"], [10080, "one week"], [43200, "30 days"]];
const MATCHES = [["all", "all"], ["any", "any"], ["none", "none"]];
const PLUGINS = ["webhooks", "slack"];

const number = (name, label) => ({ name, label, type: "number" });
const text = (name, label) => ({ name, label, type: "text" });
const choice = (name, label, choices, when) => ({ name, label, type: "select", choices, when });
const frequency = [number("value", "Events"), choice("interval", "In", INTERVALS)];
const target = (types) => [
  choice("targetType", "Recipient", types),
  choice("targetIdentifier", "Team or member", (ctx, values) =>
    (values.targetType === "Team" ? ctx.teams.map((t) => [t.id, `#${t.slug}`])
      : ctx.members.map((m) => [m.user.id, m.name || m.email])), (values) => ["Team", "Member"].includes(values.targetType)),
];

/** The nodes a rule may hold, as the API accepts them: id, what the form calls it, its fields. */
const NODES = {
  conditions: [
    [`${C}first_seen_event.FirstSeenEventCondition`, "A new issue is created", []],
    [`${C}regression_event.RegressionEventCondition`, "The issue changes state from resolved to unresolved", []],
    [`${C}reappeared_event.ReappearedEventCondition`, "The issue changes state from ignored to unresolved", []],
    [`${C}high_priority_issue.NewHighPriorityIssueCondition`, "A new issue is high priority", []],
    [`${C}high_priority_issue.ExistingHighPriorityIssueCondition`, "An existing issue escalates and is high priority", []],
    [`${C}event_frequency.EventFrequencyCondition`, "The issue is seen more than N times in an interval", frequency],
    [`${C}event_frequency.EventUniqueUserFrequencyCondition`, "The issue is seen by more than N users in an interval",
      [number("value", "Users"), frequency[1]]],
  ],
  filters: [
    [`${F}level.LevelFilter`, "The event's level", [
      choice("match", "Comparison", [["eq", "equal to"], ["gte", "greater than or equal to"], ["lte", "less than or equal to"]]),
      choice("level", "Level", LEVELS)]],
    [`${F}tagged_event.TaggedEventFilter`, "The event's tags", [
      text("key", "Tag"), choice("match", "Match", TAG_MATCHES), { ...text("value", "Value"), when: (v) => !["is", "ns"].includes(v.match) }]],
    [`${F}issue_occurrences.IssueOccurrencesFilter`, "The issue has happened at least N times", [number("value", "Times")]],
    [`${F}age_comparison.AgeComparisonFilter`, "The issue's age", [
      choice("comparison_type", "Older or newer", [["older", "older than"], ["newer", "newer than"]]),
      number("value", "Amount"), choice("time", "Unit", [["minute", "minutes"], ["hour", "hours"], ["day", "days"], ["week", "weeks"]])]],
    [`${F}assigned_to.AssignedToFilter`, "The issue is assigned to", target([["Unassigned", "nobody"], ["Team", "a team"], ["Member", "a member"]])],
    [`${F}latest_release.LatestReleaseFilter`, "The event is from the latest release", []],
    [`${F}issue_category.IssueCategoryFilter`, "The issue's category", [choice("value", "Category", [["1", "error"]])]],
  ],
  actions: [
    [EMAIL, "Send an email", [
      ...target([["IssueOwners", "issue owners"], ["Team", "a team"], ["Member", "a member"]]),
      choice("fallthroughType", "If there are no owners, send to",
        [["ActiveMembers", "recently active members"], ["AllMembers", "all members"], ["NoOne", "no one"]],
        (v) => v.targetType === "IssueOwners")]],
    [SERVICE, "Send a notification via a service", [choice("service", "Service", [["webhooks", "WebHooks"], ["slack", "Slack"]])]],
  ],
};
const KIND_NAMES = { conditions: ["Condition", "Add a condition"], filters: ["Filter", "Add a filter"], actions: ["Action", "Add an action"] };

let unique = 0;
let flash = null; // what the list says after the form or a delete sent the person back to it

const rulesPath = (org, project) => `/api/0/projects/${enc(org)}/${enc(project)}/rules/`;
const options = (choices, selected) => choices.map(([value, label]) =>
  h("option", { value, selected: String(value) === String(selected ?? "") }, label));

function select(name, choices, selected) {
  return h("select", { name }, options(choices, selected));
}

/** One node of a rule as a fieldset: its fields (shown as its values ask), and a remove button. */
function nodeRow(kind, spec, values, ctx) {
  const [id, label, fields] = spec;
  const state = { ...values };
  const row = h("li", { className: "node" });
  const render = () => {
    const controls = fields.filter((f) => !f.when || f.when(state)).map((f) => {
      unique += 1;
      const choices = typeof f.choices === "function" ? f.choices(ctx, state) : f.choices;
      if (f.type === "select" && choices.length && !choices.some(([v]) => String(v) === String(state[f.name]))) {
        state[f.name] = String(choices[0][0]); // a new node, or a choice its other fields no longer offer
      }
      const control = f.type === "select"
        ? select(f.name, choices, state[f.name])
        : h("input", { type: f.type, name: f.name, value: state[f.name] ?? "", step: f.type === "number" ? 1 : null });
      control.id = `n${unique}`;
      control.addEventListener("change", () => {
        state[f.name] = control.value;
        // a choice may decide which fields follow (typed values decide nothing)
        if (f.type === "select" && fields.some((other) => other.when || typeof other.choices === "function")) {
          render(); // the fields this one decides on
          row.querySelector(`[name="${f.name}"]`)?.focus();
        }
      });
      control.addEventListener("input", () => { state[f.name] = control.value; });
      return h("div", { className: "field" }, h("label", { for: control.id }, f.label), control);
    });
    const remove = h("button", { type: "button", "aria-label": `Remove ${KIND_NAMES[kind][0].toLowerCase()}: ${label}` }, "Remove");
    remove.addEventListener("click", () => {
      const list = row.parentElement;
      row.remove();
      list?.closest("fieldset")?.querySelector("select.add")?.focus();
    });
    row.replaceChildren(h("fieldset", { className: "node" }, h("legend", {}, label), ...controls, remove));
  };
  row.node = () => {
    const body = { id };
    for (const f of fields) if ((!f.when || f.when(state)) && state[f.name] !== undefined) body[f.name] = state[f.name];
    return body;
  };
  render();
  return row;
}

/** A rule's conditions, filters or actions: its rows, the picker that adds one, its error slot. */
function nodeList(kind, nodes, ctx) {
  const [singular, prompt] = KIND_NAMES[kind];
  const list = h("ol", { className: "nodes", id: `${kind}-list` });
  const known = (id) => NODES[kind].find(([nodeId]) => nodeId === id);
  for (const node of nodes) {
    const spec = known(node.id);
    if (spec) list.append(nodeRow(kind, spec, Object.fromEntries(Object.entries(node).map(([k, v]) => [k, String(v)])), ctx));
  }
  unique += 1;
  const picker = h("select", { className: "add", id: `add-${kind}` },
    h("option", { value: "" }, `${prompt}…`), NODES[kind].map(([id, label]) => h("option", { value: id }, label)));
  const slot = h("span", { className: "field-error", "data-error-for": kind, id: `${kind}-error` });
  picker.setAttribute("aria-describedby", slot.id);
  const add = h("button", { type: "button" }, `Add ${singular.toLowerCase()}`);
  add.addEventListener("click", () => {
    const spec = known(picker.value);
    if (!spec) return;
    const row = nodeRow(kind, spec, {}, ctx);
    list.append(row);
    picker.value = "";
    (row.querySelector("input, select") || picker).focus();
  });
  const part = h("div", { className: "node-list" }, list,
    h("div", { className: "toolbar" }, h("label", { for: picker.id, className: "visually-hidden" }, prompt), picker, add), slot);
  part.nodes = () => [...list.children].map((row) => row.node());
  return part;
}

function ruleForm(rule, ctx) {
  const name = h("input", { type: "text", name: "name", value: rule?.name || "", size: 40 });
  const environments = [["", "All environments"], ...ctx.environments.map((e) => [e.name, e.name])];
  if (rule?.environment && !ctx.environments.some((e) => e.name === rule.environment)) environments.push([rule.environment, rule.environment]);
  const environment = select("environment", environments, rule?.environment || "");
  const actionMatch = select("actionMatch", MATCHES, rule?.actionMatch || "all");
  const filterMatch = select("filterMatch", MATCHES, rule?.filterMatch || "all");
  const frequency = select("frequency", FREQUENCIES, rule?.frequency ?? 30);
  const lists = Object.fromEntries(Object.keys(NODES).map((kind) => [kind, nodeList(kind, rule?.[kind] || [], ctx)]));
  const form = h("form", { className: "rule", "aria-labelledby": "rule-title" },
    field("Rule name", name, "name"),
    field("Environment", environment, "environment"),
    h("fieldset", {}, h("legend", {}, "When an event is captured and"),
      field("These conditions must match", actionMatch, "actionMatch"), lists.conditions),
    h("fieldset", {}, h("legend", {}, "If"), field("These filters must match", filterMatch, "filterMatch"), lists.filters),
    h("fieldset", {}, h("legend", {}, "Then"), lists.actions),
    field("Perform the actions at most once per issue every", frequency, "frequency"),
    h("div", { className: "toolbar" }, h("button", { type: "submit", className: "primary" }, "Save rule")));
  form.body = () => ({
    name: name.value,
    environment: environment.value || null,
    actionMatch: actionMatch.value,
    filterMatch: filterMatch.value,
    frequency: Number(frequency.value),
    conditions: lists.conditions.nodes(),
    filters: lists.filters.nodes(),
    actions: lists.actions.nodes(),
  });
  return form;
}

function pluginForm(org, project, plugin) {
  const setting = plugin.config[0];
  const control = setting.type === "textarea"
    ? h("textarea", { name: setting.name, rows: 3, cols: 60 }, setting.value || "")
    : h("input", { type: "url", name: setting.name, value: setting.value || "", size: 60 });
  const form = h("form", { className: "plugin", "aria-label": `${plugin.name} settings` },
    field(`${plugin.name}: ${setting.label}`, control, setting.name),
    h("p", { className: "sub" }, setting.help, plugin.enabled ? "" : " (off until saved)"),
    h("button", { type: "submit" }, `Save ${plugin.name}`));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form.querySelector("button"), form, async () => {
      await api("PUT", `/api/0/projects/${enc(org)}/${enc(project)}/plugins/${plugin.slug}/`, { [setting.name]: control.value });
      for (const slot of form.querySelectorAll("[data-error-for]")) slot.textContent = "";
      form.querySelector(":scope > .error")?.remove();
      notice(form, `${plugin.name} saved.`);
    });
  });
  return form;
}

export async function alertRulesPage(root, org, project) {
  const base = rulesPath(org, project);
  const [{ data: rules }, ...plugins] = await Promise.all([api("GET", base),
    ...PLUGINS.map((slug) => api("GET", `/api/0/projects/${enc(org)}/${enc(project)}/plugins/${slug}/`))]);
  document.title = `Alert rules · ${project} · Watchtower`;
  const rows = rules.map((rule) => h("tr", {},
    h("th", { scope: "row" }, h("a", { href: `#/${org}/${project}/alerts/${enc(rule.id)}` }, rule.name)),
    h("td", {}, h("ul", { className: "plain" }, rule.conditions.map((c) => h("li", {}, c.name)))),
    h("td", {}, h("ul", { className: "plain" }, rule.actions.map((a) => h("li", {}, a.name)))),
    h("td", {}, rule.environment || "all"),
    h("td", { className: "num" }, `${rule.frequency} min`),
    h("td", {}, h("a", { href: `#/${org}/${project}/alerts/${enc(rule.id)}/history`, "aria-label": `History of ${rule.name}` }, "History"))));
  const section = h("section", { "aria-labelledby": "alerts-title" },
    h("h1", { id: "alerts-title" }, `Alert rules of ${project}`),
    h("div", { className: "toolbar" }, h("a", { className: "button", href: `#/${org}/${project}/alerts/new` }, "Create alert rule")),
    rules.length
      ? h("table", { id: "alert-rules" }, h("caption", { className: "visually-hidden" }, "Alert rules, oldest first"),
        h("thead", {}, h("tr", {}, ["Name", "Conditions", "Actions", "Environment", "Interval", "History"].map((c, i) =>
          h("th", { scope: "col", className: i === 4 ? "num" : null }, c)))),
        h("tbody", {}, rows))
      : h("p", {}, "No alert rules: nobody is told about new issues."),
    h("h2", {}, "Services"),
    h("p", { className: "sub" }, "An action “Send a notification via a service” posts to these."),
    plugins.map(({ data }) => pluginForm(org, project, data)));
  root.replaceChildren(section);
  if (flash) notice(section, flash);
  flash = null;
}

export async function alertRuleFormPage(root, org, project, ruleId) {
  const base = rulesPath(org, project);
  const projectPath = `/api/0/projects/${enc(org)}/${enc(project)}/`;
  const [rule, projectData, members, environments] = await Promise.all([
    ruleId ? api("GET", `${base}${enc(ruleId)}/`) : Promise.resolve({ data: null }),
    api("GET", projectPath), api("GET", `${projectPath}members/`), api("GET", `${projectPath}environments/`),
  ].map((p) => p.then((r) => r.data)));
  const ctx = { teams: projectData.teams || [], members, environments };
  const title = rule ? `Edit alert rule ${rule.name}` : "New alert rule";
  document.title = `${title} · ${project} · Watchtower`;
  const form = ruleForm(rule, ctx);
  const back = `#/${org}/${project}/alerts`;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form.querySelector("button[type=submit]"), form, async () => {
      await api(rule ? "PUT" : "POST", rule ? `${base}${enc(rule.id)}/` : base, form.body());
      flash = rule ? "Rule saved." : "Rule created.";
      location.hash = back;
    });
  });
  const section = h("section", { "aria-labelledby": "rule-title" },
    h("p", { className: "sub" }, h("a", { href: back }, `Alert rules of ${project}`)),
    h("h1", { id: "rule-title" }, title), form);
  if (rule) {
    const remove = h("button", { type: "button", className: "danger" }, "Delete this rule");
    remove.addEventListener("click", () => busy(remove, section, async () => {
      await api("DELETE", `${base}${enc(rule.id)}/`);
      flash = `Rule “${rule.name}” deleted.`;
      location.hash = back;
    }));
    section.append(h("h2", {}, "History"),
      h("p", {}, h("a", { href: `${back}/${enc(rule.id)}/history` }, "Issues this rule fired for")),
      h("details", { className: "menu" }, h("summary", { className: "button" }, "Delete…"),
        h("div", { className: "panel" }, h("p", {}, "The rule and its history are deleted; nobody is told by it any more."), remove)));
  }
  root.replaceChildren(section);
}

export async function alertRuleHistoryPage(root, org, project, ruleId) {
  const base = `${rulesPath(org, project)}${enc(ruleId)}/`;
  const [{ data: rule }, { data: history }] = await Promise.all([api("GET", base), api("GET", `${base}group-history/`)]);
  document.title = `History of ${rule.name} · ${project} · Watchtower`;
  const rows = history.map((row) => h("tr", {},
    h("th", { scope: "row" }, h("a", { href: `#/${org}/issues/${enc(row.group.id)}` }, `${row.group.shortId}: ${row.group.title}`)),
    h("td", { className: "num" }, row.count),
    h("td", {}, time(row.lastTriggered)),
    h("td", {}, row.eventId
      ? h("a", { href: `#/${org}/issues/${enc(row.group.id)}?event=${enc(row.eventId)}` }, h("code", {}, row.eventId.slice(0, 12)))
      : "—")));
  root.replaceChildren(h("section", { "aria-labelledby": "history-title" },
    h("p", { className: "sub" }, h("a", { href: `#/${org}/${project}/alerts` }, `Alert rules of ${project}`), " · ",
      h("a", { href: `#/${org}/${project}/alerts/${enc(ruleId)}` }, "Edit the rule")),
    h("h1", { id: "history-title" }, `History of ${rule.name}`),
    history.length
      ? h("table", { id: "rule-history" }, h("caption", { className: "visually-hidden" }, "Issues the rule fired for, most recent first"),
        h("thead", {}, h("tr", {}, ["Issue", "Times fired", "Last fired", "Event"].map((c, i) =>
          h("th", { scope: "col", className: i === 1 ? "num" : null }, c)))),
        h("tbody", {}, rows))
      : h("p", {}, "The rule has not fired yet.")));
}
