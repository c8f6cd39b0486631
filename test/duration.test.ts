import { describe, expect, it } from "vitest";
import { parseDuration } from "../src/auth/duration.js";

describe("parseDuration", () => {
  it("reads seconds and digits with a unit", () => {
    expect(parseDuration(3600)).toBe(3600);
    expect(parseDuration("3600")).toBe(3600);
    expect(parseDuration("90s")).toBe(90);
    expect(parseDuration("15m")).toBe(900);
    expect(parseDuration("12h")).toBe(43_200);
    expect(parseDuration(" 30d ")).toBe(2_592_000);
    expect(parseDuration("2w")).toBe(1_209_600);
  });

  it("refuses what is not a positive duration", () => {
    for (const bad of [0, -5, 1.5, Number.NaN, "0", "0d", "", "d", "-1h", "1.5h", "1y", "10 d", "1e3"]) {
      expect(parseDuration(bad), String(bad)).toBeUndefined();
    }
  });
});
