import { defineSchedule } from "../src/runtime/index";

/**
 * A schedule defined in code: every night at 03:00 UTC an `echo` task goes to the `maintenance`
 * queue. Copy it for your own recurring work; a name is the schedule's id, `timezone` takes any
 * IANA zone ("Europe/Paris"), and a 6-field cron has seconds first. Pause it with
 * `edgeq schedule pause nightly-heartbeat`; change or delete it here.
 */
export const nightlyHeartbeat = defineSchedule({
  name: "nightly-heartbeat",
  cron: "0 3 * * *",
  fn: "echo",
  input: { heartbeat: true },
  queue: "maintenance",
});
