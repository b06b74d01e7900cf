// The verdict's sentences, one per question, each adding the figures it rests
// on to `facts`. `unit` is the run's load unit ("users" or "calls/s").
//
//   auto& facts = *verdict.mutable_facts();
//   verdict.add_sentences(PeakSentence(sync_arm, async_arm, facts));
#pragma once

#include <string>

#include "google/protobuf/repeated_ptr_field.h"
#include "loadgen/results.pb.h"
#include "loadgen/verdict/run_figures.h"

namespace asyncgrpc::loadgen {

using Facts = google::protobuf::RepeatedPtrField<::loadgen::v1::VerdictFact>;

// Which arm sustained more load under the SLO `slo` (empty: none given).
std::string CapacitySentence(const std::string& slo, const std::string& unit,
                             const Arm& a, const Arm& b, Facts& facts);

// Which arm reached more successful calls per second.
std::string PeakSentence(const Arm& a, const Arm& b, Facts& facts);

// How `arm` failed, and which limit its server's metrics point to.
std::string FailureSentence(const Arm& arm, const std::string& unit,
                            Facts& facts);

// CPU per successful call by process, at the highest load both ran clean.
std::string CpuSentence(const Arm& a, const Arm& b, const std::string& unit,
                        Facts& facts);

}  // namespace asyncgrpc::loadgen
