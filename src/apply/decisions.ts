// What was decided for one group: the channels kept and, with compensation, how the
// dropped ones are folded into the consumers.
import type { GroupId } from "../graph/channel-groups.js";

export interface GroupDecision {
  /** Kept channels, ascending. */
  kept: Int32Array;
  /** α (n×k, columns in the order of `kept`): channel j ≈ Σ_t α[j,t]·channel kept[t]. */
  alpha?: Float64Array;
  /** β (n): the constant part of that fit (data calibration only). */
  beta?: Float64Array;
}

export type Decisions = Map<GroupId, GroupDecision>;
