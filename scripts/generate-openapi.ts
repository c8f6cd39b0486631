/**
 * Writes the OpenAPI document the code describes to openapi/openapi.json (`npm run openapi`). The file
 * is committed; test/openapi.test.ts fails while it differs from what the code generates.
 */
import { writeFileSync } from "node:fs";
import { openApiText } from "../src/http/openapi/openapi-document.js";
import { VERSION } from "../src/version.js";

export const OPENAPI_FILE = new URL("../openapi/openapi.json", import.meta.url);

writeFileSync(OPENAPI_FILE, openApiText(VERSION));
process.stdout.write(`wrote ${OPENAPI_FILE.pathname}\n`);
