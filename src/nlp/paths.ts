import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The project's root folder (two levels above this file). */
export const projectRoot = fileURLToPath(new URL("../../", import.meta.url));

/** Where `earshot train` looks for the labelled corpora unless --corpora says otherwise. */
export const defaultCorporaDir = join(projectRoot, "..", "shared", "data", "sentiment");
