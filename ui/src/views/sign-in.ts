/** The sign-in form: user name and API token, exchanged for a one-hour JWT; the token is not kept. */
import { h, show } from "../lib/dom.js";
import { SignInError, signIn } from "../lib/session.js";

export function renderSignIn(root: HTMLElement, onSignedIn: () => void, notice?: string): void {
  const user = h("input", { id: "signin-user", name: "user", autocomplete: "username", required: true });
  const token = h("input", {
    id: "signin-token",
    name: "token",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const message = h("p", { class: "form-error", role: "alert" });
  const button = h("button", { type: "submit" }, "Sign in");
  const form = h(
    "form",
    { class: "signin", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "pdns-pssl"),
    h("p", { class: "hint" }, "Passive DNS and passive SSL. Sign in with your user name and API token."),
    notice ? h("p", { class: "notice" }, notice) : null,
    h("label", { for: "signin-user" }, "User"),
    user,
    h("label", { for: "signin-token" }, "API token"),
    token,
    button,
    message,
    h(
      "p",
      { class: "hint" },
      "The token is exchanged for a session that lasts an hour and ends when this tab closes; the token " +
        "itself is not stored. An admin creates tokens (",
      h("code", null, "pdns-pssl tokens create <user>"),
      ").",
    ),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    button.textContent = "Signing in…";
    message.textContent = "";
    try {
      await signIn(user.value.trim(), token.value.trim());
      token.value = "";
      onSignedIn();
    } catch (error) {
      message.textContent =
        error instanceof SignInError ? error.message : "The server cannot be reached: check it is running.";
      button.disabled = false;
      button.textContent = "Sign in";
    }
  });
  show(root, h("main", { class: "signin-page" }, form));
  user.focus();
}
