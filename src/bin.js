#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, so `npx earshot` works right after `npm ci`.
import { register } from "tsx/esm/api";

// A dependency loads dotenv, which would otherwise print to stdout and break JSON output.
process.env.DOTENV_CONFIG_QUIET ??= "true";
register();
const { main } = await import("./cli.ts");
const code = await main(process.argv.slice(2));
// Open pools and sockets must not keep a finished command alive; flush output first.
process.stdout.write("", () => process.exit(code));
