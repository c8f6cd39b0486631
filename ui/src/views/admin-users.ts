/**
 * Users (`/ui/admin/users`): every user with role, status, tokens, the limits in force; a form that adds
 * one; per row a role change (applied only after "Apply") and disable / enable (disabling asks first).
 * Token counts and last use come from each user's token list, fetched a few at a time after the table
 * shows. The signed-in admin cannot demote or disable themselves here (the CLI can): that would end the
 * very session doing it.
 */
import {
  changeUser,
  createUser,
  listTokens,
  listUsers,
  ROLES,
  type TokenJson,
  type UserJson,
} from "../lib/admin-api.js";
import { count, isPast, limitsSummary } from "../lib/admin-format.js";
import { ApiFailure } from "../lib/api.js";
import { h, show } from "../lib/dom.js";
import { href, link } from "../lib/router.js";
import type { Role } from "../lib/session.js";
import { empty, failure, loading } from "../lib/states.js";
import {
  badge,
  busy,
  confirmFirst,
  failureText,
  field,
  type Notice,
  notice,
  pageHeading,
  section,
  timeCell,
} from "./admin-parts.js";
import { dataTable } from "./data-table.js";
import type { ViewContext } from "./view.js";

export const userHref = (name: string) => href(`/admin/users/${encodeURIComponent(name)}`);

/** What the roles may do, for the role select's hint. */
const ROLE_HINT = "analyst: query · admin: everything · sensor: feed data only";

/** The control to focus once the table is drawn again after an action on a row. */
type Focus = { name: string; control: "toggle" | "role" };

/** Token figures of one user, filled in once their list arrives. */
interface TokenCells {
  count: HTMLTableCellElement;
  lastUsed: HTMLTableCellElement;
}

export async function renderUsers({ root, session, signal }: ViewContext): Promise<void> {
  const said = notice();
  const list = h("div", { class: "admin-users-list" }, loading("Loading users…"));
  let users: UserJson[] = [];
  /** Each user's tokens, once fetched: a filter or a redraw does not ask again. */
  const tokenLists = new Map<string, Promise<TokenJson[]>>();

  const name = h("input", {
    name: "name",
    required: true,
    maxlength: 64,
    pattern: "[A-Za-z0-9._@\\-]{1,64}",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "e.g. alice",
  });
  const role = h(
    "select",
    { name: "role" },
    ROLES.map((r) => h("option", { value: r, selected: r === "analyst" }, r)),
  );
  const create = h("button", { type: "submit" }, "Create user");
  const form = h(
    "form",
    { class: "admin-form", "aria-label": "Add a user" },
    field("new-user-name", "Name", name, "1 to 64 of A–Z a–z 0–9 . _ @ -"),
    field("new-user-role", "Role", role, ROLE_HINT),
    h("div", { class: "field field-submit" }, create),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const wanted = name.value.trim();
    try {
      const made = await busy(create, "Creating…", () => createUser(wanted, role.value as Role));
      name.value = "";
      role.value = "analyst";
      await load();
      const next = link(userHref(made.name), { class: "next-step" }, `Create a token for ${made.name} →`);
      said.say([`User ${made.name} (${made.role}) created. They sign in with a token: `, next]);
      next.focus();
    } catch (error) {
      if (error instanceof ApiFailure && error.status === 409) {
        said.say(
          [
            `A user named ${wanted} already exists: pick another name, or `,
            link(userHref(wanted), null, `open ${wanted}'s page`),
            ".",
          ],
          "error",
        );
      } else if (error instanceof ApiFailure && error.status === 400) {
        said.say(`${error.message}: change the name and try again.`, "error");
      } else {
        said.say(`The user was not created: ${failureText(error)}`, "error");
      }
      name.focus();
    }
  });

  const filter = h("input", {
    type: "search",
    placeholder: "Filter by name",
    autocomplete: "off",
    spellcheck: "false",
  });
  filter.addEventListener("input", () => draw());

  show(
    root,
    h(
      "div",
      { class: "admin" },
      pageHeading(
        "Users",
        "Who may query this server, feed it data or administer it. Users sign in and call the API with their " +
          "tokens; open a user to create or revoke tokens and set their quota.",
      ),
      section("add-user", "Add a user", form),
      said.element,
      section(
        "all-users",
        "All users",
        h("div", { class: "toolbar" }, field("user-filter", "Filter", filter)),
        list,
      ),
    ),
  );

  /** Fetches the list and draws it; false when it failed (the failure is shown in its place). */
  async function load(focus?: Focus): Promise<boolean> {
    try {
      users = await listUsers(signal);
      draw(focus);
      return true;
    } catch (error) {
      if (signal.aborted) return false;
      show(
        list,
        failure(error, () => void load()),
      );
      return false;
    }
  }

  function draw(focus?: Focus): void {
    const wanted = filter.value.trim().toLowerCase();
    const shown = users.filter((u) => u.name.toLowerCase().includes(wanted));
    if (users.length === 0) {
      show(list, empty("There are no users.", "Add one above; the first admin comes from the CLI."));
      return;
    }
    if (shown.length === 0) {
      show(
        list,
        empty(`No user's name contains “${filter.value.trim()}”.`, "Clear the filter to see everyone."),
      );
      return;
    }
    const cells = new Map<string, TokenCells>();
    const rows = shown.map((user) => {
      const row = userRow(user, user.name === session.user, said, async (changed) => {
        await load({ name: user.name, control: changed });
      });
      cells.set(user.name, row.tokens);
      if (focus?.name === user.name) queueMicrotask(() => row[focus.control]?.focus());
      return row.element;
    });
    const table = dataTable({
      className: "admin-table stack users-table",
      columns: [
        "User",
        "Role",
        "Status",
        { label: "Tokens", numeric: true },
        "Last used",
        "Limits",
        "Created",
        "Actions",
      ],
    });
    table.add(rows);
    show(
      list,
      h(
        "p",
        { class: "hint" },
        `${count(shown.length)} of ${count(users.length)} user${users.length === 1 ? "" : "s"}`,
      ),
      table.element,
    );
    void fillTokenCells(cells, tokenLists, signal);
  }

  await load();
}

/** One user's row; `changed` reloads the table after an action on it. */
function userRow(
  user: UserJson,
  self: boolean,
  said: Notice,
  changed: (control: "toggle" | "role") => Promise<void>,
) {
  const tokens: TokenCells = {
    count: h("td", { class: "num muted" }, "…"),
    lastUsed: h("td", { class: "time muted" }, "…"),
  };
  const own = Object.keys(user.quota).length > 0;

  const role = h(
    "select",
    { "aria-label": `Role of ${user.name}`, disabled: self, title: self ? "Your own role" : undefined },
    ROLES.map((r) => h("option", { value: r, selected: r === user.role }, r)),
  );
  const roleCell = h("td", { class: "role-cell" }, role);
  role.addEventListener("change", () => {
    roleCell.querySelector(".confirm")?.remove();
    if (role.value === user.role) return;
    const apply = h("button", { type: "button" }, "Apply");
    const cancel = h("button", { type: "button", class: "secondary" }, "Cancel");
    const ask = h(
      "span",
      { class: "confirm", role: "group", "aria-label": `Make ${user.name} ${role.value}?` },
      apply,
      cancel,
    );
    cancel.addEventListener("click", () => {
      role.value = user.role;
      ask.remove();
      role.focus();
    });
    apply.addEventListener("click", async () => {
      const to = role.value as Role;
      try {
        await busy(apply, "Saving…", () => changeUser(user.name, { role: to }));
        said.say(`${user.name} is now ${to}.`);
        await changed("role");
      } catch (error) {
        role.value = user.role;
        ask.remove();
        said.say(`${user.name}'s role was not changed: ${failureText(error)}`, "error");
        role.focus();
      }
    });
    roleCell.append(ask);
  });

  let toggle: HTMLButtonElement;
  if (user.disabled) {
    toggle = h("button", { type: "button", class: "secondary" }, "Enable");
    toggle.addEventListener("click", async () => {
      try {
        await busy(toggle, "Enabling…", () => changeUser(user.name, { disabled: false }));
        said.say(`${user.name} is enabled: their tokens work again.`);
        await changed("toggle");
      } catch (error) {
        said.say(`${user.name} was not enabled: ${failureText(error)}`, "error");
      }
    });
  } else {
    toggle = h(
      "button",
      {
        type: "button",
        class: "secondary danger-outline",
        disabled: self,
        title: self ? "You cannot disable yourself here" : undefined,
      },
      "Disable",
    );
    confirmFirst(toggle, {
      question: `Disable ${user.name}? Their tokens stop working at once.`,
      confirm: "Disable",
      working: "Disabling…",
      run: async () => {
        await changeUser(user.name, { disabled: true });
        said.say(`${user.name} is disabled: every token of theirs is refused until enabled again.`);
        await changed("toggle");
      },
      failed: (error) => said.say(`${user.name} was not disabled: ${failureText(error)}`, "error"),
    });
  }

  const element = h(
    "tr",
    { "data-user": user.name, class: user.disabled ? "is-disabled" : undefined },
    h(
      "th",
      { scope: "row", class: "name-cell" },
      link(userHref(user.name), null, user.name),
      self ? h("span", { class: "you" }, " (you)") : null,
    ),
    roleCell,
    h("td", null, user.disabled ? badge("disabled", "bad") : badge("active", "ok")),
    tokens.count,
    tokens.lastUsed,
    h(
      "td",
      { class: "limits-cell" },
      limitsSummary(user.limits),
      own ? h("span", { class: "badge custom", title: "This user has a quota of their own" }, "own") : null,
    ),
    timeCell(user.created_at),
    h(
      "td",
      { class: "actions" },
      toggle,
      link(
        userHref(user.name),
        { class: "button-link", "aria-label": `Tokens and quota of ${user.name}` },
        "Tokens & quota",
      ),
    ),
  );
  return { element, tokens, toggle, role };
}

/** Fills the token columns, four users at a time; a failure leaves "?" with the reason as a tooltip. */
async function fillTokenCells(
  cells: Map<string, TokenCells>,
  known: Map<string, Promise<TokenJson[]>>,
  signal: AbortSignal,
): Promise<void> {
  const queue = [...cells.entries()];
  const worker = async () => {
    for (let next = queue.shift(); next && !signal.aborted; next = queue.shift()) {
      const [name, cell] = next;
      try {
        let list = known.get(name);
        if (!list) {
          list = listTokens(name, signal);
          known.set(name, list);
          list.catch(() => known.delete(name));
        }
        const tokens = await list;
        const live = tokens.filter((t) => !isPast(t.expires_at));
        const expired = tokens.length - live.length;
        cell.count.className = "num";
        cell.count.replaceChildren(
          String(live.length),
          expired > 0 ? h("span", { class: "ago" }, `+${expired} expired`) : "",
        );
        const used = tokens
          .map((t) => t.last_used_at)
          .filter((t): t is string => t !== null)
          .sort()
          .pop();
        const fresh = timeCell(used, "never");
        cell.lastUsed.className = fresh.className;
        cell.lastUsed.replaceChildren(...fresh.childNodes);
      } catch (error) {
        if (signal.aborted) return;
        cell.count.textContent = "?";
        cell.count.title = failureText(error);
        cell.lastUsed.textContent = "?";
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}
