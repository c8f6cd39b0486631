/**
 * One user (`/ui/admin/users/<name>`): their API tokens (label, id, created, expiry, last use; revoke
 * asks first), a form that creates one (its secret shown once, in memory only: gone on reload), their
 * quota with the limits in force, and enable / disable / delete.
 */
import {
  changeUser,
  createToken,
  deleteUser,
  getUser,
  listTokens,
  putQuota,
  revokeToken,
  type TokenJson,
  type UserJson,
} from "../lib/admin-api.js";
import { count, isPast, type Limits, limitsSummary, seconds, TOKEN_LIFETIMES } from "../lib/admin-format.js";
import { ApiFailure } from "../lib/api.js";
import { type Child, h, show } from "../lib/dom.js";
import { href, link, navigate } from "../lib/router.js";
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
  secretBox,
  timeCell,
} from "./admin-parts.js";
import { dataTable } from "./data-table.js";
import type { ViewContext } from "./view.js";

const USERS = href("/admin/users");

export async function renderUser({ root, route, session, signal }: ViewContext): Promise<void> {
  let name: string;
  try {
    name = decodeURIComponent(route.path.slice("/admin/users/".length));
  } catch {
    name = "";
  }
  const back = h("p", { class: "breadcrumb" }, link(USERS, null, "← All users"));
  show(root, h("div", { class: "admin" }, back, loading(`Loading ${name}…`)));
  let user: UserJson;
  let tokens: TokenJson[];
  try {
    [user, tokens] = await Promise.all([getUser(name, signal), listTokens(name, signal)]);
  } catch (error) {
    if (signal.aborted) return;
    if (error instanceof ApiFailure && error.status === 404) {
      show(
        root,
        h(
          "div",
          { class: "admin" },
          back,
          empty(`There is no user named “${name}”.`, [
            "It may have been deleted. ",
            link(USERS, null, "See every user"),
            " or add it there.",
          ]),
        ),
      );
    } else {
      show(
        root,
        h(
          "div",
          { class: "admin" },
          back,
          failure(error, () => void renderUser({ root, route, session, signal })),
        ),
      );
    }
    return;
  }
  const self = user.name === session.user;
  const said = notice();

  // --- tokens -------------------------------------------------------------------------------------
  const secretSlot = h("div", { class: "secret-slot" });
  const tokenList = h("div");
  const tokensTitle = h("h2", { id: "tokens-title", tabindex: "-1" }, "API tokens");
  const label = h("input", {
    name: "label",
    maxlength: 200,
    autocomplete: "off",
    placeholder: "e.g. laptop, misp-sync",
  });
  const lifetime = h(
    "select",
    { name: "expires_in" },
    TOKEN_LIFETIMES.map((choice, i) =>
      h("option", { value: String(i), selected: choice.label === "90 days" }, choice.label),
    ),
  );
  const createButton = h("button", { type: "submit" }, "Create token");
  const tokenForm = h(
    "form",
    { class: "admin-form", "aria-label": `Create a token for ${user.name}` },
    field("token-label", "Label", label, "What it is for, to recognise it later"),
    field("token-expiry", "Expires after", lifetime),
    h("div", { class: "field field-submit" }, createButton),
  );
  tokenForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const choice = TOKEN_LIFETIMES[Number(lifetime.value)];
    try {
      const made = await busy(createButton, "Creating…", () =>
        createToken(user.name, label.value.trim(), choice?.seconds),
      );
      label.value = "";
      const box = secretBox({
        id: "new-token",
        title: `New token for ${user.name}${made.label ? `: ${made.label}` : ""}`,
        label: `Token ${made.id}, ${made.expires_at ? `expires ${made.expires_at.slice(0, 10)}` : "does not expire"}`,
        secret: made.token,
        note:
          "this is the only time it is shown. The server keeps only its hash; if it is lost, revoke it and " +
          "create another.",
        extra: h(
          "p",
          { class: "hint" },
          `${user.name} signs in on these pages with it, or calls the API with it as the password: `,
          h("code", null, `curl -u ${user.name}:<token> ${location.origin}/pdns/query/example.com`),
        ),
        done: () => {
          secretSlot.replaceChildren();
          label.focus();
        },
      });
      secretSlot.replaceChildren(box.element);
      said.clear();
      await reloadTokens();
      box.focus();
    } catch (error) {
      said.say(`The token was not created: ${failureText(error)}`, "error");
      label.focus();
    }
  });

  async function reloadTokens(): Promise<void> {
    try {
      tokens = await listTokens(user.name, signal);
      drawTokens();
    } catch (error) {
      if (!signal.aborted)
        show(
          tokenList,
          failure(error, () => void reloadTokens()),
        );
    }
  }

  function drawTokens(): void {
    if (tokens.length === 0) {
      show(
        tokenList,
        empty(
          `${user.name} has no token: they cannot sign in or call the API yet.`,
          "Create one above and hand it over; it is shown only once.",
        ),
      );
      return;
    }
    const sorted = [...tokens].sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
    const table = dataTable({
      className: "admin-table stack tokens-table",
      columns: ["Label", "ID", "Created", "Expires", "Last used", "Actions"],
    });
    table.add(sorted.map((token) => tokenRow(user.name, token, said, revoked)));
    show(tokenList, table.element);
  }

  async function revoked(): Promise<void> {
    await reloadTokens();
    tokensTitle.focus();
  }

  // --- quota --------------------------------------------------------------------------------------
  const quotaPart = h("div");
  const quotaSaid = notice();
  function drawQuota(): void {
    show(
      quotaPart,
      quotaForm(user, quotaSaid, (saved) => {
        user = { ...user, quota: saved.quota, limits: saved.limits };
        drawQuota();
        drawFacts();
        quotaPart.querySelector<HTMLButtonElement>("button[type=submit]")?.focus();
      }),
    );
  }

  // --- the user -----------------------------------------------------------------------------------
  const facts = h("div", { class: "user-facts" });
  function drawFacts(): void {
    show(
      facts,
      h(
        "dl",
        { class: "facts" },
        h("dt", null, "Role"),
        h("dd", null, badge(user.role, user.role === "admin" ? "warn" : undefined)),
        h("dt", null, "Status"),
        h(
          "dd",
          null,
          user.disabled
            ? [badge("disabled", "bad"), " every token of theirs is refused"]
            : badge("active", "ok"),
        ),
        h("dt", null, "Created"),
        h(
          "dd",
          null,
          h("time", { datetime: user.created_at, title: user.created_at }, user.created_at.slice(0, 10)),
        ),
        h("dt", null, "Limits"),
        h("dd", null, limitsSummary(user.limits)),
      ),
    );
  }

  const actions = h("div", { class: "head-actions" });
  function drawActions(): void {
    const toggle = user.disabled
      ? h("button", { type: "button", class: "secondary" }, "Enable")
      : h("button", { type: "button", class: "secondary danger-outline", disabled: self }, "Disable");
    const apply = async (disabled: boolean) => {
      user = await changeUser(user.name, { disabled });
      said.say(
        disabled
          ? `${user.name} is disabled: every token of theirs is refused until enabled again.`
          : `${user.name} is enabled: their tokens work again.`,
      );
      drawFacts();
      drawActions();
      actions.querySelector("button")?.focus();
    };
    if (user.disabled) {
      toggle.addEventListener("click", async () => {
        try {
          await busy(toggle, "Enabling…", () => apply(false));
        } catch (error) {
          said.say(`${user.name} was not enabled: ${failureText(error)}`, "error");
        }
      });
    } else {
      confirmFirst(toggle, {
        question: `Disable ${user.name}?`,
        confirm: "Disable",
        working: "Disabling…",
        run: () => apply(true),
        failed: (error) => said.say(`${user.name} was not disabled: ${failureText(error)}`, "error"),
      });
    }
    const remove = h(
      "button",
      { type: "button", class: "secondary danger-outline", disabled: self },
      "Delete user",
    );
    confirmFirst(remove, {
      question: `Delete ${user.name} and all their tokens? This cannot be undone.`,
      confirm: "Delete",
      working: "Deleting…",
      run: async () => {
        await deleteUser(user.name);
        navigate(USERS, { replace: true });
      },
      failed: (error) => said.say(`${user.name} was not deleted: ${failureText(error)}`, "error"),
    });
    show(
      actions,
      toggle,
      remove,
      self ? h("p", { class: "hint" }, "This is you: the CLI can change your own account.") : null,
    );
  }

  drawFacts();
  drawActions();
  drawTokens();
  drawQuota();
  show(
    root,
    h(
      "div",
      { class: "admin" },
      back,
      pageHeading(
        [user.name, self ? h("span", { class: "you" }, " (you)") : null],
        "This user's API tokens, quota and status.",
        actions,
      ),
      facts,
      said.element,
      h(
        "section",
        { class: "admin-section", "aria-labelledby": "tokens-title" },
        tokensTitle,
        h(
          "p",
          { class: "hint" },
          "A token is a password for the API and for signing in here. Revoking one refuses it from the very next request.",
        ),
        tokenForm,
        secretSlot,
        tokenList,
      ),
      h(
        "section",
        { class: "admin-section", "aria-labelledby": "quota-title" },
        h("h2", { id: "quota-title" }, "Quota"),
        quotaPart,
        quotaSaid.element,
      ),
    ),
  );
}

function tokenRow(user: string, token: TokenJson, said: Notice, revoked: () => Promise<void>): HTMLElement {
  const expired = isPast(token.expires_at);
  const revoke = h("button", { type: "button", class: "secondary danger-outline" }, "Revoke");
  const name = token.label || token.id;
  confirmFirst(revoke, {
    question: `Revoke ${token.label ? `“${token.label}”` : `token ${token.id}`}?`,
    confirm: "Revoke",
    working: "Revoking…",
    run: async () => {
      await revokeToken(user, token.id);
      said.say(`Token ${name} revoked: the next request with it is refused.`);
      await revoked();
    },
    failed: (error) => said.say(`Token ${name} was not revoked: ${failureText(error)}`, "error"),
  });
  return h(
    "tr",
    { "data-token": token.id, class: expired ? "is-disabled" : undefined },
    h("th", { scope: "row" }, token.label || h("span", { class: "muted" }, "(no label)")),
    h("td", { class: "mono" }, token.id),
    timeCell(token.created_at),
    expired
      ? h("td", { class: "time" }, badge("expired", "bad"), " ", token.expires_at?.slice(0, 10))
      : timeCell(token.expires_at, "never"),
    timeCell(token.last_used_at, "never"),
    h("td", { class: "actions" }, revoke),
  );
}

/** One limit of the quota form: its input, and for the three that can be none, an "Unlimited" box. */
interface LimitField {
  key: keyof Limits;
  label: string;
  hint: string;
  unit: (n: number) => string;
  max: number;
  nullable: boolean;
}

const LIMIT_FIELDS: LimitField[] = [
  {
    key: "daily",
    label: "Queries a day",
    hint: "UTC days",
    unit: (n) => `${count(n)} a day`,
    max: Number.MAX_SAFE_INTEGER,
    nullable: true,
  },
  {
    key: "burst_size",
    label: "Burst size",
    hint: "queries per burst window",
    unit: (n) => `${count(n)} queries`,
    max: Number.MAX_SAFE_INTEGER,
    nullable: true,
  },
  {
    key: "burst_window",
    label: "Burst window (seconds)",
    hint: "1 to 86,400",
    unit: (n) => seconds(n),
    max: 86_400,
    nullable: false,
  },
  {
    key: "results_max",
    label: "Records per answer",
    hint: "larger answers are paged",
    unit: (n) => `${count(n)} records`,
    max: Number.MAX_SAFE_INTEGER,
    nullable: true,
  },
];

function inForce(limit: LimitField, limits: Limits, own: boolean): Child {
  const value = limits[limit.key];
  return [
    "In force: ",
    h("strong", null, value === null ? "unlimited" : limit.unit(value)),
    own ? " (own setting)" : " (server default)",
  ];
}

/** The quota form: empty is the server default, "Unlimited" is none; Save replaces the user's quota. */
function quotaForm(
  user: UserJson,
  said: Notice,
  saved: (answer: { quota: Partial<Limits>; limits: Limits }) => void,
): HTMLElement {
  const inputs = LIMIT_FIELDS.map((limit) => {
    const own = user.quota[limit.key];
    const input = h("input", {
      type: "number",
      min: 1,
      max: limit.max,
      step: 1,
      inputmode: "numeric",
      name: limit.key,
      placeholder: "default",
      value: typeof own === "number" ? String(own) : "",
    });
    let unlimited: HTMLInputElement | undefined;
    if (limit.nullable) {
      unlimited = h("input", { type: "checkbox", id: `quota-${limit.key}-none`, checked: own === null });
      input.disabled = own === null;
      const box = unlimited;
      box.addEventListener("change", () => {
        input.disabled = box.checked;
        if (box.checked) input.value = "";
      });
    }
    const hintId = `quota-${limit.key}-hint`;
    input.id = `quota-${limit.key}`;
    input.setAttribute("aria-describedby", hintId);
    const element = h(
      "div",
      { class: "quota-field" },
      h("label", { for: input.id }, limit.label),
      h(
        "div",
        { class: "quota-input" },
        input,
        unlimited ? h("label", { class: "check", for: unlimited.id }, unlimited, "Unlimited") : null,
      ),
      h(
        "p",
        { class: "field-hint", id: hintId },
        limit.hint,
        h("br"),
        inForce(limit, user.limits, own !== undefined),
      ),
    );
    return { limit, input, unlimited, element };
  });

  const save = h("button", { type: "submit" }, "Save quota");
  const reset = h("button", { type: "button", class: "secondary" }, "Use server defaults");
  const form = h(
    "form",
    { class: "quota-form", "aria-labelledby": "quota-title", novalidate: true },
    h(
      "p",
      { class: "hint" },
      "Leave a field empty for the server's default (",
      h("code", null, "--default-daily"),
      " and the like); a user over a limit gets 429 with Retry-After.",
    ),
    h(
      "div",
      { class: "quota-grid" },
      inputs.map((i) => i.element),
    ),
    h("div", { class: "form-actions" }, save, reset),
  );
  const send = async (button: HTMLButtonElement, quota: Partial<Limits>, what: string) => {
    try {
      const answer = await busy(button, "Saving…", () => putQuota(user.name, quota));
      said.say(`${what} In force now: ${limitsSummary(answer.limits)}.`);
      saved(answer);
    } catch (error) {
      said.say(`The quota was not saved: ${failureText(error)}`, "error");
    }
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const quota: Partial<Limits> = {};
    for (const { limit, input, unlimited } of inputs) {
      if (unlimited?.checked) {
        (quota as Record<string, number | null>)[limit.key] = null;
        continue;
      }
      const text = input.value.trim();
      if (text === "") continue;
      const value = Number(text);
      if (!Number.isInteger(value) || value < 1 || value > limit.max) {
        said.say(
          `${limit.label}: a whole number from 1 to ${count(limit.max)}, or empty for the default.`,
          "error",
        );
        input.focus();
        return;
      }
      (quota as Record<string, number | null>)[limit.key] = value;
    }
    await send(save, quota, `Quota of ${user.name} saved.`);
  });
  reset.addEventListener("click", () => void send(reset, {}, `${user.name} is back on the server defaults.`));
  return form;
}
