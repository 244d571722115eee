import { parseDuration } from "./durations";
import { QStashApiError, type FlowControlOverride, type FlowControlSetting } from "./types";

export interface FlowControlChange {
  paused?: boolean;
  pin?: Omit<FlowControlSetting, "key">;
  unpin?: ("parallelism" | "rate")[];
  resetRate?: boolean;
}

/** Parses Upstash-Flow-Control-Value ("parallelism=2, rate=10, period=1m") for the given key. */
export function parseFlowControl(key: string, value: string | undefined): FlowControlSetting {
  if (!key.trim()) throw new QStashApiError(400, "Upstash-Flow-Control-Key must not be empty");
  const setting: FlowControlSetting = { key };
  for (const part of (value ?? "").split(",").map((item) => item.trim()).filter(Boolean)) {
    const [name, raw = ""] = part.split("=").map((item) => item.trim());
    if (name === "period") {
      setting.period = parseDuration(raw, "Upstash-Flow-Control-Value period") / 1000;
      continue;
    }
    if ((name !== "parallelism" && name !== "rate") || !/^\d+$/.test(raw) || Number(raw) < 1) {
      throw new QStashApiError(400, `invalid Upstash-Flow-Control-Value part ${JSON.stringify(part)} (expected parallelism=N, rate=N or period=DURATION)`);
    }
    setting[name] = Number(raw);
  }
  if (setting.parallelism === undefined && setting.rate === undefined) {
    throw new QStashApiError(400, "Upstash-Flow-Control-Value needs parallelism or rate");
  }
  return setting;
}

export type Admission = { kind: "start" } | { kind: "full"; key: string } | { kind: "wait"; ms: number };

interface Gate {
  /** The setting last seen for the key (QStash also lets the latest message's setting win). */
  setting: FlowControlSetting;
  /** Set through the flow-control API: held back entirely, or limits that override the messages'. */
  paused: boolean;
  pinned: Omit<FlowControlSetting, "key">;
  active: number;
  windowStart: number;
  startedInWindow: number;
}

/**
 * Admission of deliveries under flow-control keys (and queues, which are keys with a parallelism).
 * Kept in memory: after a restart nothing is in flight, so counting from zero is right; the rate window
 * restarts too, which at worst lets one extra window's worth through. Pauses and pins do not survive a
 * restart.
 */
export class FlowGates {
  private readonly gates = new Map<string, Gate>();

  private gate(setting: FlowControlSetting): Gate {
    let gate = this.gates.get(setting.key);
    if (!gate) {
      gate = { setting, paused: false, pinned: {}, active: 0, windowStart: 0, startedInWindow: 0 };
      this.gates.set(setting.key, gate);
    }
    if (setting.parallelism !== undefined || setting.rate !== undefined) gate.setting = setting;
    return gate;
  }

  private limits(gate: Gate): FlowControlSetting {
    const pinned = Object.fromEntries(Object.entries(gate.pinned).filter(([, value]) => value !== undefined));
    return { ...gate.setting, ...pinned };
  }

  /** The key's state as GET /v2/flowControl/{key} shows it, or undefined for a key never seen. */
  info(key: string, waitListSize: number): Record<string, unknown> | undefined {
    const gate = this.gates.get(key);
    if (!gate) return undefined;
    const limits = this.limits(gate);
    return {
      flowControlKey: key, waitListSize,
      parallelismMax: limits.parallelism ?? 0, parallelismCount: gate.active,
      rateMax: limits.rate ?? 0, rateCount: gate.startedInWindow, ratePeriod: limits.period ?? 1,
      ratePeriodStart: Math.floor(gate.windowStart / 1000), isPaused: gate.paused,
      isPinnedParallelism: gate.pinned.parallelism !== undefined, isPinnedRate: gate.pinned.rate !== undefined,
    };
  }

  /** The flow-control API's switches: pause/resume, pin/unpin limits, reset the rate window. */
  control(key: string, change: FlowControlChange): FlowControlOverride {
    const gate = this.gate({ key });
    if (change.paused !== undefined) gate.paused = change.paused;
    if (change.pin) gate.pinned = { ...gate.pinned, ...change.pin };
    for (const field of change.unpin ?? []) {
      delete gate.pinned[field];
      if (field === "rate") delete gate.pinned.period;
    }
    if (change.resetRate) {
      gate.windowStart = Date.now();
      gate.startedInWindow = 0;
    }
    return { name: key, paused: gate.paused, pinned: { ...gate.pinned } };
  }

  /**
   * Tries to start a delivery under all of `settings`, taking a slot of each when it can. Otherwise says
   * which key is at its parallelism (retry when one of its deliveries ends) or how long until a full
   * rate window opens again.
   */
  tryStart(settings: FlowControlSetting[], now: number): Admission {
    let waitMs = 0;
    for (const setting of settings) {
      const gate = this.gate(setting);
      const limits = this.limits(gate);
      if (gate.paused || (limits.parallelism !== undefined && gate.active >= limits.parallelism)) return { kind: "full", key: setting.key };
      if (limits.rate !== undefined) {
        const periodMs = (limits.period ?? 1) * 1000;
        if (now - gate.windowStart >= periodMs) {
          gate.windowStart = now;
          gate.startedInWindow = 0;
        }
        if (gate.startedInWindow >= limits.rate) waitMs = Math.max(waitMs, gate.windowStart + periodMs - now);
      }
    }
    if (waitMs > 0) return { kind: "wait", ms: waitMs };
    for (const setting of settings) {
      const gate = this.gate(setting);
      gate.active += 1;
      gate.startedInWindow += 1;
    }
    return { kind: "start" };
  }

  finish(settings: FlowControlSetting[]): void {
    for (const setting of settings) {
      const gate = this.gates.get(setting.key);
      if (gate) gate.active = Math.max(0, gate.active - 1);
    }
  }
}
