/** The model's books: counts kept incrementally must equal what the arrays hold. */
import { MmError } from "@mm/api";
import { TASK_DEAD } from "./api.js";
import {
  inSlowpath,
  NO_TASK,
  P_DEAD,
  P_FS_ACQUIRE,
  P_LOCK_WAIT,
  P_OOM_NOTIFIER,
  P_OOM_SLEEP,
  P_RESPAWN,
  type StallState,
} from "./slowpath-state.js";

/** Throws MmError("INVARIANT") when the model's books do not balance. */
export function checkStallInvariants(s: StallState): void {
  for (const tb of s.tables) tb.checkInvariants();
  let dirty = 0;
  for (let i = 0; i < s.cacheLen; i++) dirty += s.cacheDirtyBit[(s.cacheHead + i) & (s.cachePfn.length - 1)];
  if (dirty !== s.cacheDirty) throw new MmError("INVARIANT", `dirty count ${s.cacheDirty} != ${dirty}`);
  let iso = 0;
  for (let t = 0; t < s.n; t++) {
    iso += s.isoN[t];
    let pages = 0;
    for (let b = s.rssHead[t]; b >= 0; b = s.blkNext[b]) pages += 1 << s.blkOrder[b];
    if (pages !== s.rssPages[t]) throw new MmError("INVARIANT", `task ${t} rss ${s.rssPages[t]} != ${pages}`, { t });
    const p = s.phase[t];
    const tracked = t !== s.kswapd && inSlowpath(p) && s.table.tracks(s.agfp[t]);
    if (tracked !== (s.table.inFlight[t] !== 0))
      throw new MmError("INVARIANT", `task ${t} phase ${p} vs memalloc in-flight ${s.table.inFlight[t]}`, { t });
    if ((p === P_DEAD || p === P_RESPAWN) && (s.rssPages[t] !== 0 || s.tstate[t] !== TASK_DEAD))
      throw new MmError("INVARIANT", `dead task ${t} still holds memory`, { t });
    // the owner may still be in its wait phase only between hand-off and its wake-up event
    if ((p === P_LOCK_WAIT || p === P_FS_ACQUIRE) && s.fsLockOwner === t && s.timers[t] === null)
      throw new MmError("INVARIANT", `task ${t} waits for the fs lock it holds`, { t });
  }
  if (iso !== s.isolatedTotal) throw new MmError("INVARIANT", `isolated ${s.isolatedTotal} != ${iso}`);
  if (s.fsLockOwner !== NO_TASK) {
    const p = s.phase[s.fsLockOwner];
    if (p === P_DEAD || p === P_RESPAWN) throw new MmError("INVARIANT", "a dead task holds the fs lock");
  }
  for (let i = 0; i < s.fsWLen; i++) {
    const w = s.fsWaiters[(s.fsWHead + i) % s.fsWaiters.length];
    if (s.phase[w] !== P_LOCK_WAIT && s.phase[w] !== P_FS_ACQUIRE) throw new MmError("INVARIANT", `fs lock waiter ${w} in phase ${s.phase[w]}`);
  }
  if (s.oomLockOwner !== NO_TASK) {
    const p = s.phase[s.oomLockOwner];
    if (p !== P_OOM_NOTIFIER && p !== P_OOM_SLEEP) throw new MmError("INVARIANT", `oom_lock held by task in phase ${p}`);
  }
}
