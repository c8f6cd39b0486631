/**
 * Servers started inside the test processes log warnings and errors only: an access line per request
 * would bury the test report. Servers the tests start as child processes log as configured (the tests
 * that read logs do so there).
 */
import { setLogLevel } from "../../src/observability/logger.js";

setLogLevel("warn");
