import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { waitFor } from "../helpers/child.ts";

const run = promisify(execFile);

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface PrivateRedis {
  url: string;
  /** SIGKILLs the server and starts a new, empty one on the same port (no persistence). */
  restartEmpty(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A redis-server of the test's own, without persistence, so a test may kill and restart it
 * without touching the Redis everyone else uses.
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = async () => {
    const c = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    child = c;
    await waitFor(async () => (await run("redis-cli", ["-p", String(port), "ping"]).catch(() => ({ stdout: "" }))).stdout.trim() === "PONG", "redis-server to answer", 15_000);
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((resolve) => c.once("exit", resolve));
    c.kill("SIGKILL");
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    async restartEmpty() {
      await stop();
      await start();
    },
    stop,
  };
}

export interface PrivatePostgres {
  /** The cluster's `postgres` database. */
  url: string;
  /** `pg_ctl stop -m fast`: every connection is cut and open transactions roll back. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the cluster if it runs and deletes its files. */
  destroy(): Promise<void>;
}

/** Debian's server binaries (not on the PATH), the newest installed; EARSHOT_PG_BIN overrides. */
function pgBin(): string {
  if (process.env.EARSHOT_PG_BIN) return process.env.EARSHOT_PG_BIN;
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "initdb"))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(`no initdb under ${root}; set EARSHOT_PG_BIN to the folder holding initdb and pg_ctl`);
  return join(root, newest, "bin");
}

/**
 * A Postgres cluster of the test's own (initdb in a temporary folder, a free port, fsync off), so
 * a test may stop and start it while the shared server keeps running. initdb and pg_ctl refuse
 * to run as root, so as root (CI) they run as the `postgres` user.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = pgBin();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "earshot-pg-"));
  const data = join(dir, "data");
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { stdout } = await run("id", ["-u", "postgres"]);
    const { stdout: gid } = await run("id", ["-g", "postgres"]);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
    chmodSync(dir, 0o700);
  }
  const pg = (tool: string, args: string[]) =>
    asRoot ? run("runuser", ["-u", "postgres", "--", join(bin, tool), ...args]) : run(join(bin, tool), args);
  await pg("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale", "C"]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  const start = async () => {
    await pg("pg_ctl", ["start", "-D", data, "-w", "-t", "60", "-l", join(dir, "log"), "-o", options]);
  };
  const stop = async () => {
    await pg("pg_ctl", ["stop", "-D", data, "-m", "fast", "-w", "-t", "60"]);
  };
  await start();
  let running = true;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await stop();
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    async destroy() {
      if (running) await stop().catch(() => pg("pg_ctl", ["stop", "-D", data, "-m", "immediate"]).catch(() => {}));
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until a job completed or failed for good, and says which. `tick` runs before each look. */
export function jobOutcome(job: { getState(): Promise<string> }, what: string, timeoutMs = 90_000, tick?: () => void): Promise<"completed" | "failed"> {
  return waitFor(async () => {
    tick?.();
    const s = await job.getState();
    return s === "completed" || s === "failed" ? s : null;
  }, what, timeoutMs);
}
