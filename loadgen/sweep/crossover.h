// Where the challenger (async) starts to pay against the baseline (sync): at
// each swept value, whether its capacity under the SLO exceeds the baseline's
// by at least 20% with ranges that do not overlap; then the lowest value from
// which that holds at every value above (or, for a knob that helps the
// baseline as it grows, the highest value up to which it holds).
//
//   JudgePoint(sync_arm, async_arm, point);     // point.pays, .judgement
//   *sweep.mutable_crossover() = FindCrossover(sweep);
#pragma once

#include <string>
#include <vector>

#include "loadgen/results.pb.h"
#include "loadgen/verdict/run_figures.h"

namespace asyncgrpc::loadgen {

// How much more capacity counts as paying: 20%.
inline constexpr double kPaysRatio = 1.2;

// Sets point.capacity_ratio (when both arms could be judged), point.pays and
// point.judgement ("async 1.45x sync's capacity (ranges separate)", "sync met
// the SLO up to the ramp's end ...", ...). Conservative where a run's
// capacity is only a bound: a baseline that met the SLO to the ramp's end
// counts as unbounded, a challenger that missed it at the ramp's start as 0.
void JudgePoint(const Arm& baseline, const Arm& challenger,
                ::loadgen::v1::SweepPoint& point);

// From the judged points in ascending order: found when the challenger pays
// at some value and every value above it, or else at some value and every
// value below it; the statement says where, or that it did neither within the
// swept range (and where it paid without holding).
::loadgen::v1::Crossover FindCrossover(const ::loadgen::v1::Sweep& sweep,
                                       int runs);

}  // namespace asyncgrpc::loadgen
