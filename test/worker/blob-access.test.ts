import { describe, expect, it } from "vitest";
import { randomFolder, raw } from "./blob-helpers";
import { call, expectProblem } from "./helpers";
import { callWith, freshToken } from "./security-helpers";

const folder = randomFolder("blobacc");

async function answer(response: Response) {
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

async function keysUnder(prefix: string): Promise<string[]> {
  const page = await call<{ blobs: { key: string }[] }>("GET", `/v1/blobs?prefix=${prefix}`, { token: "read" });
  return page.body.blobs.map((blob) => blob.key);
}

describe("bad keys and bodies", () => {
  it("refuses traversal, empty segments, foreign characters, reserved and overlong keys with a 400 naming key, and writes nothing", async () => {
    for (const path of [`${folder}/..%2Fescape`, `${folder}//double`, `${folder}/sp%20ace`, `${folder}/uploads/x`, `${folder}/${"k".repeat(600)}`, `${folder}/%2E`]) {
      expectProblem(await answer(await raw("PUT", `/v1/blobs/${path}`, { body: "nope" })), 400, "key");
    }
    expect(await keysUnder(`${folder}/`)).toEqual([]);
  });

  it("asks for Content-Length when a body streams without one, and stores nothing", async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("streamed without a length"));
        controller.close();
      },
    });
    const response = await raw("PUT", `/v1/blobs/${folder}/chunked.txt`, { body: stream });
    expect(expectProblem(await answer(response), 411).detail).toContain("Content-Length");
    expect(await keysUnder(`${folder}/`)).toEqual([]);
  });

  it("refuses a list prefix that is not a key's start, and a limit out of range", async () => {
    expectProblem(await call("GET", `/v1/blobs?prefix=${folder}/../x`, { token: "read" }), 400, "prefix");
    expectProblem(await call("GET", `/v1/blobs?prefix=${folder}/&limit=0`, { token: "read" }), 400, "limit");
  });

  it("refuses a completion without parts, and an upload id it does not know", async () => {
    const started = await call<{ uploadId: string }>("POST", `/v1/blobs/${folder}/m.bin/uploads`, { token: "enqueue" });
    const base = `/v1/blobs/${folder}/m.bin/uploads/${encodeURIComponent(started.body.uploadId)}`;
    expectProblem(await call("POST", `${base}/complete`, { token: "enqueue", json: { parts: [] } }), 400, "parts");
    expectProblem(await answer(await raw("PUT", `/v1/blobs/${folder}/m.bin/uploads/not-an-upload/1`, { body: "x", token: "enqueue" })), 404);
    expect(await keysUnder(`${folder}/`)).toEqual([]);
  });
});

describe("scopes", () => {
  it("writes need enqueue and reads need read", async () => {
    expectProblem(await answer(await raw("PUT", `/v1/blobs/${folder}/s.txt`, { body: "x", token: "read" })), 403);
    expect((await raw("PUT", `/v1/blobs/${folder}/s.txt`, { body: "x", token: "enqueue" })).status).toBe(201);
    expectProblem(await answer(await raw("GET", `/v1/blobs/${folder}/s.txt`, { token: "enqueue" })), 403);
    expectProblem(await call("GET", `/v1/blobs?prefix=${folder}/`, { token: "enqueue" }), 403);
    expectProblem(await answer(await raw("DELETE", `/v1/blobs/${folder}/s.txt`, { token: "read" })), 403);
    expect((await raw("GET", `/v1/blobs/${folder}/s.txt`, { token: "read" })).status).toBe(200);
  });

  it("keeps a queue-restricted token to its queues' folders", async () => {
    const worker = freshToken("blobworker");
    const admin = freshToken("blobadmin");
    const mine = randomFolder("sa");
    const theirs = randomFolder("sb");
    const bindings = { EDGEQ_TOKENS: `${admin}:admin; ${worker}:enqueue+read@sa-*` };
    const put = (key: string, token: string) => callWith(bindings, "PUT", `/v1/blobs/${key}`, { token, body: "data", headers: { "content-length": "4" } });
    expect((await put(`${mine}/a.txt`, worker)).status).toBe(201);
    expect((await put(`${theirs}/a.txt`, admin)).status).toBe(201);
    expectProblem(await put(`${theirs}/b.txt`, worker), 403);
    expectProblem(await callWith(bindings, "GET", `/v1/blobs/${theirs}/a.txt`, { token: worker }), 403);
    expect((await callWith(bindings, "GET", `/v1/blobs?prefix=${mine}/`, { token: worker })).body).toMatchObject({ blobs: [{ key: `${mine}/a.txt` }] });
    // Listing: a folder it reaches, or a start its queue prefix covers; never the whole bucket.
    expect((await callWith(bindings, "GET", `/v1/blobs?prefix=sa-`, { token: worker })).status).toBe(200);
    expectProblem(await callWith(bindings, "GET", `/v1/blobs?prefix=${theirs}/`, { token: worker }), 403);
    expectProblem(await callWith(bindings, "GET", `/v1/blobs?prefix=s`, { token: worker }), 403);
    expectProblem(await callWith(bindings, "GET", `/v1/blobs`, { token: worker }), 403);
    expectProblem(await callWith(bindings, "DELETE", `/v1/blobs/${theirs}/a.txt`, { token: worker }), 403);
    expect((await callWith(bindings, "HEAD", `/v1/blobs/${theirs}/a.txt`, { token: admin })).status).toBe(200);
  });
});
