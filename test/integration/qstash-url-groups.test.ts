import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { inject } from "vitest";
import { Receiver as SignatureReceiver } from "@upstash/qstash";
import { receiverForFile, testQStash } from "../support/qstash-receiver";

const receiver = receiverForFile();
const qstash = testQStash();
const groupName = () => `group-${randomBytes(4).toString("hex")}`;

describe.concurrent("QStash dev server: URL groups", () => {
  it("fans a publish out to every endpoint, each signed for its own URL and told its group", async () => {
    const [a, b] = [receiver().route(), receiver().route()];
    const name = groupName();
    await qstash.urlGroups.addEndpoints({ name, endpoints: [{ url: a.url, name: "a" }, { url: b.url }] });
    expect(await qstash.urlGroups.get(name)).toMatchObject({ name, endpoints: [{ url: a.url, name: "a" }, { url: b.url }] });
    expect((await qstash.urlGroups.list()).map((group) => group.name)).toContain(name);
    const results = await qstash.publishJSON({ urlGroup: name, body: { fan: "out" } });
    expect(results.map((result) => result.url).sort()).toEqual([a.url, b.url].sort());
    const verifier = new SignatureReceiver({ currentSigningKey: inject("qstashCurrentSigningKey"), nextSigningKey: inject("qstashNextSigningKey") });
    for (const route of [a, b]) {
      const [delivery] = await receiver().waitFor(route.path, 1);
      expect(delivery?.headers["upstash-topic-name"]).toBe(name);
      await expect(verifier.verify({ signature: String(delivery?.headers["upstash-signature"]), body: delivery?.body ?? "", url: route.url })).resolves.toBe(true);
    }
  });

  it("stops sending to removed endpoints and refuses a deleted group", async () => {
    const [kept, removed] = [receiver().route(), receiver().route()];
    const name = groupName();
    await qstash.urlGroups.addEndpoints({ name, endpoints: [{ url: kept.url }, { url: removed.url }] });
    await qstash.urlGroups.removeEndpoints({ name, endpoints: [{ url: removed.url }] });
    const results = await qstash.batchJSON([{ urlGroup: name, body: { n: 1 } }, { url: removed.url, body: { n: 2 } }]);
    expect(results).toHaveLength(2);
    const [[toGroup], direct] = results as unknown as [{ url: string }[], { url: string }];
    expect(toGroup?.url).toBe(kept.url);
    expect(direct.url).toBe(removed.url);
    const [delivery] = await receiver().waitFor(kept.path, 1);
    expect(JSON.parse(delivery?.body ?? "")).toEqual({ n: 1 });
    const [directDelivery] = await receiver().waitFor(removed.path, 1);
    expect(JSON.parse(directDelivery?.body ?? "")).toEqual({ n: 2 });
    await qstash.urlGroups.delete(name);
    await expect(qstash.publishJSON({ urlGroup: name, body: {} })).rejects.toMatchObject({ status: 404 });
  });

  it("runs a schedule whose destination is a URL group", async () => {
    const route = receiver().route();
    const name = groupName();
    await qstash.urlGroups.addEndpoints({ name, endpoints: [{ url: route.url }] });
    const { scheduleId } = await qstash.schedules.create({ destination: name, cron: "* * * * * *", body: "grouped tick" });
    const [tick] = await receiver().waitFor(route.path, 1, 3000);
    await qstash.schedules.delete(scheduleId);
    expect(tick?.body).toBe("grouped tick");
    expect(tick?.headers["upstash-topic-name"]).toBe(name);
    expect(tick?.headers["upstash-schedule-id"]).toBe(scheduleId);
  });
});
