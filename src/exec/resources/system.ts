/** The probe for the system this runs on, and the one reap meter of this process. */
import { LinuxProbe } from "./linux.js";
import { PsProbe } from "./macos.js";
import type { ProcessCpu, ProcessMemory, UsageProbe } from "./port.js";
import { ReapMeter } from "./reap-meter.js";

/** Where neither /proc nor a known `ps` is available: every figure stays unknown. */
class NoProbe implements UsageProbe {
  processes(): Promise<ProcessCpu[]> {
    return Promise.resolve([]);
  }
  memory(): ProcessMemory | undefined {
    return undefined;
  }
  reapedChildrenCpuMs(): number | undefined {
    return undefined;
  }
}

let probe: UsageProbe | undefined;
let reapMeter: ReapMeter | undefined;

export function probeForThisSystem(): UsageProbe {
  probe ??= process.platform === "linux" ? new LinuxProbe() : process.platform === "darwin" ? new PsProbe() : new NoProbe();
  return probe;
}

/**
 * One per process: it reads this process's own reaped-children CPU, which
 * every executor of the process shares, so two meters would each count the
 * other's reaps.
 */
export function reapMeterOfThisProcess(): ReapMeter {
  reapMeter ??= new ReapMeter(probeForThisSystem());
  return reapMeter;
}
