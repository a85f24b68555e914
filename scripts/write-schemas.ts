/**
 * Writes the JSON Schemas generated from the zod schemas into schemas/ (committed, so
 * editors can validate YAML workflow files). `npm run schemas`; a test checks they are current.
 */
import { writeFileSync } from "node:fs";
import { runReportJsonSchema } from "../src/core/report.js";
import { workflowJsonSchema } from "../src/core/schema.js";

const dir = new URL("../../schemas/", import.meta.url);
writeFileSync(new URL("workflow.schema.json", dir), `${JSON.stringify(workflowJsonSchema(), null, 2)}\n`);
writeFileSync(new URL("run-report.schema.json", dir), `${JSON.stringify(runReportJsonSchema(), null, 2)}\n`);
