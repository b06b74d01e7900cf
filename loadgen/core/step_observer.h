// What else is watched while a target's ramp runs, beside the calls loadgen
// makes: the runner tells each observer when a step's measured window starts
// and ends, and after the ramp asks it to add what it saw to each step. The
// servers' own metrics (server_metrics/) are one; the runner knows nothing of
// what an observer reads or how.
//
//   class MyObserver : public StepObserver { ... };
//   RunHooks hooks{.observer_for = [](const Target& target) {
//     return std::make_unique<MyObserver>(target);
//   }};
//   absl::StatusOr<::loadgen::v1::Results> results = Run(config, hooks);
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "loadgen/core/notation.h"
#include "loadgen/results.pb.h"

namespace asyncgrpc::loadgen {

class StepObserver {
 public:
  virtual ~StepObserver() = default;

  // Step `step`'s measured window starts or ends now. Must return at once: the
  // load is running (do slow work in the background).
  virtual void WindowStart(int step) = 0;
  virtual void WindowEnd(int step) = 0;

  // After the ramp: adds what was observed of step `step->index()` to it.
  virtual void AddTo(::loadgen::v1::Step* step) = 0;
};

// Several observers as one, each told in turn (nullptr entries are left out).
class StepObservers : public StepObserver {
 public:
  explicit StepObservers(std::vector<std::unique_ptr<StepObserver>> all) {
    for (std::unique_ptr<StepObserver>& observer : all) {
      if (observer != nullptr) {
        all_.push_back(std::move(observer));
      }
    }
  }
  void WindowStart(int step) override {
    for (auto& observer : all_) observer->WindowStart(step);
  }
  void WindowEnd(int step) override {
    for (auto& observer : all_) observer->WindowEnd(step);
  }
  void AddTo(::loadgen::v1::Step* step) override {
    for (auto& observer : all_) observer->AddTo(step);
  }

 private:
  std::vector<std::unique_ptr<StepObserver>> all_;
};

// What main.cc plugs into a run.
struct RunHooks {
  // Run in the background once every target answered, before the load (e.g. a
  // warning about an endpoint that does not answer); joined before Run
  // returns. May be empty.
  std::function<void()> before_load;
  // An observer of `target`'s steps, or nullptr for none. May be empty.
  std::function<std::unique_ptr<StepObserver>(const Target& target)>
      observer_for;
};

}  // namespace asyncgrpc::loadgen
