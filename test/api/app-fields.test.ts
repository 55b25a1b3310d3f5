import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { main } from "../../src/cli.ts";
import { createApiTestEnv, type ApiTestEnv } from "./support.ts";

let env: ApiTestEnv;
beforeAll(async () => {
  env = await createApiTestEnv({ dashboard: false, bullBoard: false });
  // Each test file runs in its own process: the CLI below uses this file's database.
  Object.assign(process.env, env.childEnv);
});
afterAll(async () => {
  await env?.teardown();
});

/** Runs `earshot …` in this process and returns its exit code and what it wrote to stderr. */
async function cli(...args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = "";
  const err = vi.spyOn(console, "error").mockImplementation((chunk: unknown) => void (stderr += `${String(chunk)}\n`));
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  try {
    return { code: await main(args), stderr };
  } finally {
    err.mockRestore();
    log.mockRestore();
  }
}

// [API field, its JSON value, CLI option, its command-line value, the field as the API names it]
const bad: [string, unknown, string, string, string][] = [
  ["name", "   ", "app", "   ", "name"],
  ["appstoreId", "abc", "appstore-id", "abc", "appstoreId"],
  ["appstoreCountries", ["china"], "countries", "china", "appstoreCountries.0"],
  ["appstoreCountries", [], "countries", ",", "appstoreCountries"],
  ["playPackage", "tencent", "play-package", "tencent", "playPackage"],
  ["playLangs", ["english"], "play-langs", "english", "playLangs.0"],
  ["taptapId", "taptap.cn/app/abc", "taptap-id", "taptap.cn/app/abc", "taptapId"],
  ["taptapRegion", "global", "taptap-region", "global", "taptapRegion"],
];

describe("app fields", () => {
  test.each(bad)("the CLI and the API reject a bad %s with the same problem, each naming its field", async (field, json, option, text, apiField) => {
    const body = { name: "喵记", [field]: json };
    const api = await env.call("POST", "/api/apps", { body });
    expect(api.status, api.text).toBe(400);
    expect(api.json.field).toBe(apiField);
    const problem = (api.json.message as string).slice(`${apiField}: `.length);
    expect(api.json.message).toBe(`${apiField}: ${problem}`);
    expect(problem.length).toBeGreaterThan(5);

    const args = field === "name" ? ["--app", text] : ["--app", "喵记", `--${option}`, text];
    const r = await cli("watch", "add", "--sources", "appstore", ...args);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`earshot: ${option}: ${problem}`);
  });

  test("both accept the same forms and store the same normalised values", async () => {
    const api = await env.call("POST", "/api/apps", {
      body: { name: "快跑", appstoreId: "id1500000002", appstoreCountries: ["US", "jp"], playLangs: ["en_US"], taptapId: "https://www.taptap.cn/app/210002", taptapRegion: " Intl " },
    });
    expect(api.status, api.text).toBe(201);
    expect(api.json).toMatchObject({ appstoreId: "1500000002", appstoreCountries: ["us", "jp"], playLangs: ["en-us"], taptapId: "210002", taptapRegion: "intl" });

    const r = await cli("watch", "add", "--app", "慢走", "--sources", "appstore", "--appstore-id", "id1500000003", "--countries", "US,jp", "--play-langs", "en_US", "--taptap-id", "https://www.taptap.cn/app/210003", "--taptap-region", " Intl ");
    expect(r.code, r.stderr).toBe(0);
    const apps = (await env.call("GET", "/api/apps")).json as { name: string }[];
    expect(apps.find((a) => a.name === "慢走")).toMatchObject({ appstoreId: "1500000003", appstoreCountries: ["us", "jp"], playLangs: ["en-us"], taptapId: "210003", taptapRegion: "intl" });
  });
});
