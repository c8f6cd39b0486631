/**
 * A timeline in SVG: one bar per row from first to last sighting, rows in titled groups, a UTC time axis
 * on top, so a change of address or name server shows as one bar ending where the next begins. Each bar
 * has a <title> tooltip; row labels (and group titles that are values) are links that search the value.
 *
 * Drawn at the width the page gives it (measured, and redrawn when the window is resized), so text stays
 * at its size instead of being scaled; the rows scroll inside a box of bounded height while the axis
 * stays in view. Used for passive DNS records and for a certificate's sightings.
 */
import { type Child, h, svg } from "../lib/dom.js";
import { isoTime } from "../lib/format.js";
import { navigate, searchHref } from "../lib/router.js";
import { timeTicks } from "../lib/time-axis.js";

export interface TimelineRow {
  label: string;
  /** The value the label searches, when it is one. */
  pivot?: string | undefined;
  first: number;
  last: number;
  /** The tooltip of the bar. */
  title: string;
}

export interface TimelineGroup {
  title: string;
  pivot?: string | undefined;
  rows: TimelineRow[];
}

const ROW = 20;
const GROUP = 24;
const AXIS = 26;
const CHAR = 6.7;
const BAR_MIN = 4;
const PALETTE = 6;

/** An SVG link to a search, handled like the app's other links (no reload). */
function svgPivot(value: string, ...children: Child[]): SVGAElement {
  const target = searchHref(value);
  const anchor = svg(
    "a",
    { href: target, class: "pivot" },
    svg("title", null, `Search ${value}`),
    ...children,
  );
  anchor.addEventListener("click", (event) => {
    const mouse = event as MouseEvent;
    if (mouse.button !== 0 || mouse.metaKey || mouse.ctrlKey || mouse.shiftKey || mouse.altKey) return;
    event.preventDefault();
    navigate(target);
  });
  return anchor;
}

function truncate(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, Math.max(1, chars - 1))}…`;
}

interface Layout {
  width: number;
  labelWidth: number;
  plotLeft: number;
  plotRight: number;
  start: number;
  end: number;
}

function layoutOf(groups: TimelineGroup[], width: number): Layout {
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  let longest = 0;
  for (const group of groups) {
    longest = Math.max(longest, group.title.length * 0.9);
    for (const row of group.rows) {
      start = Math.min(start, row.first);
      end = Math.max(end, row.last);
      longest = Math.max(longest, row.label.length);
    }
  }
  // A short span (sightings within a minute) is widened around its middle, so bars keep readable proportions.
  const span = Math.max(end - start, 60);
  const pad = span * 0.03;
  const from = (start + end) / 2 - span / 2;
  const labelWidth = Math.round(Math.min(Math.max(longest * CHAR + 24, 140), width * 0.38, 340));
  return {
    width,
    labelWidth,
    plotLeft: labelWidth + 8,
    plotRight: width - 16,
    start: from - pad,
    end: from + span + pad,
  };
}

function xOf(layout: Layout, time: number): number {
  const { plotLeft, plotRight, start, end } = layout;
  return plotLeft + ((time - start) / (end - start)) * (plotRight - plotLeft);
}

/** About one tick per 100 px, at least three. */
function tickCount(layout: Layout): number {
  return Math.max(3, Math.floor((layout.plotRight - layout.plotLeft) / 100));
}

function axis(layout: Layout): SVGSVGElement {
  const ticks = timeTicks(layout.start, layout.end, tickCount(layout));
  return svg(
    "svg",
    {
      class: "timeline-axis",
      width: layout.width,
      height: AXIS,
      viewBox: `0 0 ${layout.width} ${AXIS}`,
      "aria-hidden": "true",
    },
    svg("line", { class: "axis", x1: layout.plotLeft, x2: layout.plotRight, y1: AXIS - 1, y2: AXIS - 1 }),
    ticks.map((tick) => {
      const x = xOf(layout, tick.time);
      return [
        svg("line", { class: "axis", x1: x, x2: x, y1: AXIS - 6, y2: AXIS - 1 }),
        svg("text", { x, y: AXIS - 10, "text-anchor": "middle", class: "tick" }, tick.label),
      ];
    }),
    svg("text", { x: 4, y: AXIS - 10, class: "tick utc" }, "UTC"),
  );
}

function body(groups: TimelineGroup[], layout: Layout): SVGSVGElement {
  const height = groups.reduce((sum, group) => sum + GROUP + group.rows.length * ROW, 0) + 4;
  const ticks = timeTicks(layout.start, layout.end, tickCount(layout));
  const labelChars = Math.floor((layout.labelWidth - 16) / CHAR);
  // Stripes first, then the grid over them, then labels and bars.
  const stripes: Child[] = [];
  const grid = ticks.map((tick) => {
    const x = xOf(layout, tick.time);
    return svg("line", { class: "grid", x1: x, x2: x, y1: 0, y2: height });
  });
  const parts: Child[] = [];
  let y = 0;
  groups.forEach((group, index) => {
    const title = svg("text", { x: 4, y: y + 16, class: "group" }, truncate(group.title, labelChars + 4));
    parts.push(
      svg("line", { class: "separator", x1: 0, x2: layout.width, y1: y + 0.5, y2: y + 0.5 }),
      group.pivot ? svgPivot(group.pivot, title) : title,
    );
    y += GROUP;
    group.rows.forEach((row, rowIndex) => {
      if (rowIndex % 2 === 1)
        stripes.push(svg("rect", { class: "stripe", x: 0, y, width: layout.width, height: ROW }));
      const label = svg(
        "text",
        { x: 14, y: y + 14, class: "label" },
        truncate(row.label, labelChars),
        row.label.length > labelChars ? svg("title", null, row.label) : null,
      );
      parts.push(row.pivot ? svgPivot(row.pivot, label) : label);
      const x1 = xOf(layout, row.first);
      const x2 = Math.max(xOf(layout, row.last), x1 + BAR_MIN);
      parts.push(
        svg(
          "rect",
          {
            class: `bar c${index % PALETTE}`,
            x: x1,
            y: y + 4,
            width: x2 - x1,
            height: ROW - 8,
            rx: 2,
            "data-first": row.first,
            "data-last": row.last,
          },
          svg("title", null, row.title),
        ),
      );
      y += ROW;
    });
  });
  return svg(
    "svg",
    {
      class: "timeline-rows",
      width: layout.width,
      height,
      viewBox: `0 0 ${layout.width} ${height}`,
      role: "group",
      "aria-label": "Timeline rows",
    },
    stripes,
    grid,
    parts,
  );
}

/**
 * A timeline of the groups, drawn into a figure once it has a width; `signal` stops redrawing on resize
 * (give the signal of the page or of the records shown).
 */
export function timeline(groups: TimelineGroup[], caption: string, signal: AbortSignal): HTMLElement {
  const axisBox = h("div", { class: "timeline-axis-box" });
  const rowsBox = h("div", { class: "timeline-rows-box" });
  const figure = h(
    "figure",
    { class: "timeline" },
    axisBox,
    rowsBox,
    h("figcaption", { class: "hint" }, caption),
  );
  // The rows scroll sideways on a narrow window: the axis follows them.
  rowsBox.addEventListener("scroll", () => {
    axisBox.scrollLeft = rowsBox.scrollLeft;
  });
  let drawnWidth = 0;
  const draw = () => {
    const width = Math.max(rowsBox.clientWidth, 340);
    if (rowsBox.clientWidth === 0 || Math.abs(width - drawnWidth) < 2) return;
    drawnWidth = width;
    const layout = layoutOf(groups, width);
    axisBox.replaceChildren(axis(layout));
    rowsBox.replaceChildren(body(groups, layout));
  };
  const observer = new ResizeObserver(() => requestAnimationFrame(draw));
  observer.observe(rowsBox);
  signal.addEventListener("abort", () => observer.disconnect(), { once: true });
  return figure;
}

/** A tooltip line for a span of sightings: `first → last UTC · n times`. */
export function spanTitle(what: string, first: number, last: number, count: number): string {
  return `${what}\n${isoTime(first)} → ${isoTime(last)} UTC · seen ${count.toLocaleString("en")} time${count === 1 ? "" : "s"}`;
}
