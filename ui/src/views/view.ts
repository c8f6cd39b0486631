/** What every page gets: where to draw, the URL's state, who is signed in, and a signal for leaving. */
import type { Route } from "../lib/router.js";
import type { Session } from "../lib/session.js";

export interface ViewContext {
  /** The page's area: the view replaces its content as data arrives. */
  root: HTMLElement;
  route: Route;
  session: Session;
  /** Aborted when the user goes to another page: pending requests stop, late answers are dropped. */
  signal: AbortSignal;
}

export type View = (context: ViewContext) => void | Promise<void>;
