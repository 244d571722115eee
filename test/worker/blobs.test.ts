import { describe, expect, inject, it } from "vitest";
import { randomFolder, raw, seededBytes, sha256Hex } from "./blob-helpers";
import { call, expectProblem } from "./helpers";

declare module "vitest" {
  export interface ProvidedContext {
    /** EDGEQ_BIG_BLOBS=1 (see test/worker/node/project.ts). */
    bigBlobs: boolean;
  }
}

const folder = randomFolder("blobs");

async function answer(response: Response) {
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

describe("blob round trips", () => {
  it("stores a body and reads the same bytes back, with its size, type and ETag", async () => {
    const put = await raw("PUT", `/v1/blobs/${folder}/hello.txt`, { body: "hello, R2\n", headers: { "content-type": "text/plain" } });
    expect(put.status).toBe(201);
    const info = (await put.json()) as { key: string; size: number; etag: string };
    expect(info).toMatchObject({ key: `${folder}/hello.txt`, size: 10 });
    const get = await raw("GET", `/v1/blobs/${folder}/hello.txt`, { token: "read" });
    expect(get.status).toBe(200);
    expect(get.headers.get("etag")).toBe(`"${info.etag}"`);
    expect(get.headers.get("content-type")).toBe("text/plain");
    expect(await get.text()).toBe("hello, R2\n");
    const head = await raw("HEAD", `/v1/blobs/${folder}/hello.txt`, { token: "read" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("10");
  });

  it("streams a 3 MB body in and out unchanged (100 MB with EDGEQ_BIG_BLOBS=1)", async () => {
    const size = inject("bigBlobs") ? 100 * 1024 * 1024 : 3 * 1024 * 1024;
    const bytes = seededBytes(size, 7);
    const put = await raw("PUT", `/v1/blobs/${folder}/big.bin`, { body: bytes });
    expect(put.status).toBe(201);
    const got = await raw("GET", `/v1/blobs/${folder}/big.bin`, { token: "read" });
    expect(got.headers.get("content-length")).toBe(String(size));
    expect(await sha256Hex(await got.arrayBuffer())).toBe(await sha256Hex(bytes));
  });

  it("deletes a blob: then it is not found", async () => {
    await raw("PUT", `/v1/blobs/${folder}/gone.txt`, { body: "x" });
    expect((await raw("DELETE", `/v1/blobs/${folder}/gone.txt`, { token: "enqueue" })).status).toBe(200);
    expectProblem(await answer(await raw("GET", `/v1/blobs/${folder}/gone.txt`, { token: "read" })), 404);
  });
});

describe("Range and conditional reads", () => {
  const key = `${folder}/digits.txt`;
  const text = "0123456789";

  async function range(header: string) {
    const response = await raw("GET", `/v1/blobs/${key}`, { token: "read", headers: { range: header } });
    return { status: response.status, contentRange: response.headers.get("content-range"), text: await response.text() };
  }

  it("serves first, last, suffix and open ranges at the object's edges", async () => {
    await raw("PUT", `/v1/blobs/${key}`, { body: text });
    expect(await range("bytes=0-0")).toEqual({ status: 206, contentRange: "bytes 0-0/10", text: "0" });
    expect(await range("bytes=9-9")).toEqual({ status: 206, contentRange: "bytes 9-9/10", text: "9" });
    expect(await range("bytes=9-")).toEqual({ status: 206, contentRange: "bytes 9-9/10", text: "9" });
    expect(await range("bytes=-3")).toEqual({ status: 206, contentRange: "bytes 7-9/10", text: "789" });
    expect(await range("bytes=-30")).toEqual({ status: 206, contentRange: "bytes 0-9/10", text });
    expect(await range("bytes=4-400")).toEqual({ status: 206, contentRange: "bytes 4-9/10", text: "456789" });
    expect((await range("bytes=10-")).status).toBe(416);
    expect((await range("bytes=10-")).contentRange).toBe("bytes */10");
    // Not one bytes range: served whole, as RFC 9110 allows.
    expect(await range("bytes=0-1,4-5")).toMatchObject({ status: 200, text });
  });

  it("answers If-None-Match with its ETag by 304 and no body", async () => {
    const etag = (await raw("HEAD", `/v1/blobs/${key}`, { token: "read" })).headers.get("etag")!;
    const same = await raw("GET", `/v1/blobs/${key}`, { token: "read", headers: { "if-none-match": etag } });
    expect(same.status).toBe(304);
    expect(await same.text()).toBe("");
    const other = await raw("GET", `/v1/blobs/${key}`, { token: "read", headers: { "if-none-match": '"other"' } });
    expect(other.status).toBe(200);
    expect(await other.text()).toBe(text);
  });
});

describe("listing", () => {
  it("pages through a prefix with cursors, and shows folders with delimiter=/", async () => {
    const list = `${folder}/list`;
    const keys = ["a.log", "b.log", "c.log", "sub/d.log", "sub/e.log"].map((name) => `${list}/${name}`);
    for (const key of keys) await raw("PUT", `/v1/blobs/${key}`, { body: key });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { status: number; body: { blobs: { key: string }[]; cursor: string | null } } = await call<{ blobs: { key: string; size: number }[]; cursor: string | null }>(
        "GET",
        `/v1/blobs?prefix=${list}/&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        { token: "read" },
      );
      expect(page.status).toBe(200);
      expect(page.body.blobs.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.blobs.map((blob) => blob.key));
      cursor = page.body.cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(keys);
    const folders = await call<{ blobs: { key: string }[]; prefixes: string[] }>("GET", `/v1/blobs?prefix=${list}/&delimiter=/`, { token: "read" });
    expect(folders.body.blobs.map((blob) => blob.key)).toEqual(keys.slice(0, 3));
    expect(folders.body.prefixes).toEqual([`${list}/sub/`]);
  });
});

describe("multipart uploads", () => {
  it("joins parts uploaded out of order into one blob; a part may be sent again", async () => {
    const key = `${folder}/multi.bin`;
    const first = seededBytes(5 * 1024 * 1024, 3);
    const second = seededBytes(123_457, 4);
    const started = await call<{ uploadId: string }>("POST", `/v1/blobs/${key}/uploads`, { token: "enqueue" });
    expect(started.status).toBe(201);
    const base = `/v1/blobs/${key}/uploads/${encodeURIComponent(started.body.uploadId)}`;
    const part2 = (await (await raw("PUT", `${base}/2`, { body: second, token: "enqueue" })).json()) as { etag: string };
    await raw("PUT", `${base}/1`, { body: seededBytes(5 * 1024 * 1024, 99), token: "enqueue" });
    // Resumed: part 1 again with the right bytes; the last upload of a part number counts.
    const part1 = (await (await raw("PUT", `${base}/1`, { body: first, token: "enqueue" })).json()) as { etag: string };
    const done = await call("POST", `${base}/complete`, { token: "enqueue", json: { parts: [{ partNumber: 1, etag: part1.etag }, { partNumber: 2, etag: part2.etag }] } });
    expect(done.status).toBe(201);
    expect(done.body).toMatchObject({ key, size: first.length + second.length });
    const whole = new Uint8Array(first.length + second.length);
    whole.set(first);
    whole.set(second, first.length);
    const got = await raw("GET", `/v1/blobs/${key}`, { token: "read" });
    expect(await sha256Hex(await got.arrayBuffer())).toBe(await sha256Hex(whole));
  });

  it("aborts an upload: its parts can no longer be sent, and no blob appears", async () => {
    const key = `${folder}/aborted.bin`;
    const started = await call<{ uploadId: string }>("POST", `/v1/blobs/${key}/uploads`, { token: "enqueue" });
    const base = `/v1/blobs/${key}/uploads/${encodeURIComponent(started.body.uploadId)}`;
    await raw("PUT", `${base}/1`, { body: "part", token: "enqueue" });
    expect((await call("DELETE", base, { token: "enqueue" })).status).toBe(200);
    expectProblem(await answer(await raw("PUT", `${base}/2`, { body: "more", token: "enqueue" })), 404);
    expectProblem(await answer(await raw("GET", `/v1/blobs/${key}`, { token: "read" })), 404);
  });
});
