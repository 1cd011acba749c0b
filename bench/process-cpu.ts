/** CPU time of processes, from /proc: the bench reports CPU per event of each server beside its throughput. */
import fs from 'node:fs';

/** CPU seconds (user + system) the process `pid` has used; undefined where /proc cannot tell (not Linux, gone). */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 a second on Linux); fields[0] here is field 3.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) this process has used: load generator, clients, workers, SDK endpoints. */
export function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}
