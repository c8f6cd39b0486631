/** The admin pages' words and figures (ui/src/lib/admin-format.ts), and the audit filter's time round trip. */
import { describe, expect, it } from "vitest";
import { parseTimeBound } from "../src/audit/time-bound.js";
import {
  byteSize,
  isoToLocalInput,
  limitsSummary,
  localInputToIso,
  localTime,
  relative,
  seconds,
} from "../ui/src/lib/admin-format.js";

describe("admin-format", () => {
  it("turns a datetime-local value into a bound the API reads as the same instant, and back", () => {
    const iso = localInputToIso("2025-05-01T14:03");
    expect(iso).toMatch(/^2025-0[45]-\d\dT\d\d:03:00\.000Z$/);
    expect(parseTimeBound(iso, "since")).toBe(new Date(2025, 4, 1, 14, 3).getTime());
    expect(isoToLocalInput(iso)).toBe("2025-05-01T14:03");
    expect(isoToLocalInput(String(new Date(2025, 4, 1, 14, 3).getTime() / 1000))).toBe("2025-05-01T14:03");
    expect(localTime(iso)).toBe("2025-05-01 14:03:00");
    for (const bad of ["", "2025-05-01", "yesterday", "2025-05-01T14"])
      expect(localInputToIso(bad)).toBeUndefined();
    for (const shown of ["-3600", "", undefined, "soon"]) expect(isoToLocalInput(shown)).toBe("");
  });

  it("says how long ago, sizes and limits in short words", () => {
    const now = Date.parse("2025-05-01T12:00:00Z");
    expect(relative("2025-05-01T11:59:55Z", now)).toBe("just now");
    expect(relative("2025-05-01T11:57:00Z", now)).toBe("3 min ago");
    expect(relative("2025-05-31T12:00:00Z", now)).toBe("in 30 d");
    expect(relative("2023-05-01T12:00:00Z", now)).toBe("2 y ago");
    expect([byteSize(999), byteSize(21_300), byteSize(4_500_000)]).toEqual(["999 B", "21 KB", "4.5 MB"]);
    expect([seconds(45), seconds(60), seconds(7200), seconds(86_400)]).toEqual([
      "45 s",
      "1 min",
      "2 h",
      "1 d",
    ]);
    expect(limitsSummary({ daily: null, burst_size: null, burst_window: 60, results_max: null })).toBe(
      "unlimited",
    );
    expect(limitsSummary({ daily: 1000, burst_size: 10, burst_window: 60, results_max: 5000 })).toBe(
      "1,000/day · 10 per 1 min · ≤ 5,000 results",
    );
  });
});
