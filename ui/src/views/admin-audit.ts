/**
 * The audit log (`/ui/admin/audit?user=&since=&until=`): every query, admin action and JWT exchange,
 * newest first, a hundred at a time ("Older entries" follows the API's cursor). The filters live in the
 * URL as the API takes them (RFC 3339 times in UTC), so a filtered view can be shared; the time inputs
 * show them in the browser's zone.
 */
import { type AuditEntry, listUsers, readAudit } from "../lib/admin-api.js";
import { count, isoToLocalInput, localInputToIso, localTime, seconds } from "../lib/admin-format.js";
import { h, show } from "../lib/dom.js";
import { href, link, navigate, pivot } from "../lib/router.js";
import { empty, failure, loading } from "../lib/states.js";
import { busy, failureText, field, pageHeading } from "./admin-parts.js";
import { userHref } from "./admin-users.js";
import { dataTable } from "./data-table.js";
import type { ViewContext } from "./view.js";

const PAGE = 100;
const AUDIT = "/admin/audit";

/** Routes whose value is something to search (a name, an address, a hash): shown as a pivot link. */
const SEARCHED = /^\/(pdns|dnsdb|pssl|v2pssl)\//;

const RANGES: Array<[string, number]> = [
  ["Last hour", 3600],
  ["Last 24 hours", 86_400],
  ["Last 7 days", 7 * 86_400],
];

export async function renderAudit({ root, route, signal }: ViewContext): Promise<void> {
  const filters = {
    user: route.params.get("user")?.trim() ?? "",
    since: route.params.get("since")?.trim() ?? "",
    until: route.params.get("until")?.trim() ?? "",
  };

  const user = h("input", {
    name: "user",
    value: filters.user,
    list: "audit-users",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "everyone",
  });
  const users = h("datalist", { id: "audit-users" });
  const since = h("input", { type: "datetime-local", name: "since", value: isoToLocalInput(filters.since) });
  const until = h("input", { type: "datetime-local", name: "until", value: isoToLocalInput(filters.until) });
  const formError = h("p", { class: "form-error", role: "alert" });
  const apply = h("button", { type: "submit" }, "Show entries");
  const clear = link(href(AUDIT), { class: "button-link" }, "Clear filters");
  const form = h(
    "form",
    { class: "admin-form audit-filters", "aria-label": "Filter the audit log" },
    field("audit-user", "User", user, "who made the request"),
    field("audit-since", "From", since, "your local time"),
    field("audit-until", "Until", until, "empty: now"),
    h("div", { class: "field field-submit" }, apply, clear),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const from = since.value ? localInputToIso(since.value) : "";
    const to = until.value ? localInputToIso(until.value) : "";
    if (from === undefined || to === undefined) {
      formError.textContent = "A time is not complete: fill in the date and the time, or clear it.";
      return;
    }
    if (from && to && from > to) {
      formError.textContent = "“From” is after “Until”: swap them.";
      since.focus();
      return;
    }
    navigate(href(AUDIT, { user: user.value.trim(), since: from, until: to }));
  });
  const ranges = h(
    "div",
    { class: "quick-ranges", role: "group", "aria-label": "Quick time ranges" },
    h("span", { class: "hint" }, "Quick:"),
    RANGES.map(([label, seconds]) =>
      link(
        href(AUDIT, { user: filters.user, since: new Date(Date.now() - seconds * 1000).toISOString() }),
        { class: "chip" },
        label,
      ),
    ),
  );

  const summary = h("p", { class: "hint audit-summary" });
  const results = h("div", null, loading("Loading the audit log…"));
  show(
    root,
    h(
      "div",
      { class: "admin" },
      pageHeading(
        "Audit log",
        "Every query, admin action and sign-in token exchange, newest first, with who made it, " +
          "what it asked for and how it was answered.",
      ),
      form,
      users,
      formError,
      ranges,
      summary,
      results,
    ),
  );
  describeFilters(summary, filters);

  // Names for the user box; without them it is a plain text box.
  void listUsers(signal)
    .then((list) => users.replaceChildren(...list.map((u) => h("option", { value: u.name }))))
    .catch(() => undefined);

  const table = dataTable({
    className: "admin-table stack audit-table",
    columns: [
      "Time",
      "User",
      "Request",
      "Value",
      "Status",
      { label: "Results", numeric: true },
      "Token",
      "Client",
      "Request ID",
    ],
  });
  const more = h("button", { type: "button", class: "secondary" }, "Older entries");
  const pager = h("div", { class: "pager" });
  let shown = 0;
  let cursor: string | null = null;

  const query = () => ({
    user: filters.user || undefined,
    since: filters.since || undefined,
    until: filters.until || undefined,
    limit: PAGE,
  });

  function drawPager(): void {
    show(
      pager,
      h("span", { class: "hint", role: "status" }, `${count(shown)} entr${shown === 1 ? "y" : "ies"} shown`),
      cursor ? more : h("span", { class: "hint" }, "· the end of the log for these filters"),
    );
  }

  more.addEventListener("click", async () => {
    if (!cursor) return;
    try {
      const page = await busy(more, "Loading…", () =>
        readAudit({ ...query(), cursor: cursor ?? undefined }, signal),
      );
      table.add(page.entries.map(entryRow));
      shown += page.entries.length;
      cursor = page.cursor;
      drawPager();
      if (cursor) more.focus();
    } catch (error) {
      if (!signal.aborted) pager.append(h("p", { class: "form-error", role: "alert" }, failureText(error)));
    }
  });

  try {
    const page = await readAudit(query(), signal);
    if (page.entries.length === 0) {
      show(
        results,
        empty(
          "No audit entries match these filters.",
          filters.user || filters.since || filters.until
            ? ["Widen the time range or ", link(href(AUDIT), null, "clear the filters"), "."]
            : "Entries appear as soon as anyone uses the API (kept --audit-retention-days, 30 by default).",
        ),
      );
      return;
    }
    table.add(page.entries.map(entryRow));
    shown = page.entries.length;
    cursor = page.cursor;
    drawPager();
    show(results, table.element, pager);
  } catch (error) {
    if (!signal.aborted)
      show(
        results,
        failure(error, () => navigate(location.pathname + location.search)),
      );
  }
}

function describeFilters(target: HTMLElement, filters: { user: string; since: string; until: string }): void {
  const parts: Array<string | Node> = [filters.user ? "Requests by " : "Requests by everyone"];
  if (filters.user) parts.push(h("strong", null, filters.user));
  if (filters.since) parts.push(" from ", h("strong", null, boundText(filters.since)));
  if (filters.until) parts.push(" until ", h("strong", null, boundText(filters.until)));
  target.replaceChildren(...parts, ".");
}

/** A bound from the URL in words: local time for a date, as typed otherwise (`-3600`). */
function boundText(value: string): string {
  if (/^-\d{1,12}$/.test(value)) return `${seconds(-Number(value))} ago`;
  const ms = /^\d{1,12}$/.test(value)
    ? Number(value) * 1000
    : /^\d{4}-/.test(value)
      ? Date.parse(value)
      : Number.NaN;
  return Number.isNaN(ms) ? value : localTime(new Date(ms).toISOString());
}

function statusBadge(status: number): HTMLElement {
  const kind = status < 300 ? "ok" : status < 500 && status !== 401 && status !== 403 ? "warn" : "bad";
  return h("span", { class: `badge ${kind}` }, String(status));
}

function entryRow(entry: AuditEntry): HTMLElement {
  let value: Node | string = entry.value;
  if (entry.value && SEARCHED.test(entry.route)) value = pivot(entry.value);
  else if (entry.value && entry.route.startsWith("/admin/users")) {
    const name = entry.value.split("/")[0] ?? entry.value;
    value = link(userHref(name), null, entry.value);
  }
  return h(
    "tr",
    null,
    h("td", { class: "time" }, h("time", { datetime: entry.time, title: entry.time }, localTime(entry.time))),
    h(
      "td",
      null,
      link(href(AUDIT, { user: entry.user }), { title: `Only ${entry.user}'s requests` }, entry.user),
    ),
    h(
      "td",
      { class: "request" },
      h("span", { class: "method" }, entry.method),
      " ",
      h("code", null, entry.route),
    ),
    h("td", { class: "value" }, value || h("span", { class: "muted" }, "—")),
    h("td", null, statusBadge(entry.status)),
    h(
      "td",
      { class: "num" },
      entry.results === null ? "—" : count(entry.results),
      entry.aborted ? h("span", { class: "ago" }, "client left early") : null,
    ),
    h("td", { class: "mono small" }, entry.token_id || "—"),
    h("td", { class: "mono" }, entry.client_ip),
    // The first 8 digits, as git shortens hashes: enough to grep the server's log for.
    h("td", { class: "mono small" }, h("span", { title: entry.request_id }, entry.request_id.slice(0, 8))),
  );
}
