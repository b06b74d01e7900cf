// Makes the synchronization inside Debian's (uninstrumented) abseil and gRPC
// visible to ThreadSanitizer.
//
// libabsl_synchronization and libgrpc are not built with -fsanitize=thread, so
// TSan sees neither absl::Mutex (nor the grpc_core::Mutex and gpr_mu built on
// it) lock and unlock, nor gRPC's hand-off of a batch from the thread that
// starts it to the thread that completes it: every access ordered only by
// those looks like a data race, in our code as in gRPC's inlined headers (a
// callback reading its own captures, a reactor deleted in OnDone).
//
// This library, LD_PRELOADed into the tsan build's tests and the processes
// they start (CMakePresets.json, test preset "tsan"), interposes:
// - the out-of-line entry points of absl::Mutex, absl::CondVar,
//   absl::Notification and absl::BlockingCounter (calls from our code, from
//   gRPC and from inside abseil itself all go through the PLT);
// - grpc_call_start_batch / grpc_server_request_call /
//   grpc_server_request_registered_call (a tag's work is handed to gRPC),
//   grpc_cq_end_op (that tag completes) and grpc_completion_queue_next/pluck
//   (another thread receives the completion, before it runs its callback);
// - absl::Status's out-of-line reference drop (its count lives in
//   libabsl_status, so a Status shared between threads looked freed under
//   the feet of a copy that had been read earlier);
// - grpc::internal::ServerCallbackCall::ScheduleOnDone, reached by whichever
//   thread drops a callback call's last reference, before OnDone (the
//   reference count is also decremented in libgrpc++, where TSan cannot see
//   its release);
// forwards each to the library's own definition, and tells TSan about the
// happens-before edge it creates (__tsan_release before giving a lock up or a
// tag away, __tsan_acquire after taking the lock or on the tag's completion).
// That is exactly what these APIs guarantee; only happens-before is modelled,
// no lock-order (deadlock) checking for these mutexes.
//
// It is built without -fsanitize=thread and does not link libtsan or abseil
// (the TSan hooks are weak), so preloading it into uninstrumented processes
// (bash, PostgreSQL) changes nothing there.
#include <dlfcn.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/base/options.h"
#include "absl/status/status.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "grpc/grpc.h"
#include "grpcpp/support/server_callback.h"

extern "C" {
void __tsan_acquire(void* addr) __attribute__((weak));
void __tsan_release(void* addr) __attribute__((weak));
}

namespace {

#define ASYNCGRPC_STR2(x) #x
#define ASYNCGRPC_STR(x) ASYNCGRPC_STR2(x)

void Acquire(const void* addr) {
  if (__tsan_acquire != nullptr) __tsan_acquire(const_cast<void*>(addr));
}

void Release(const void* addr) {
  if (__tsan_release != nullptr) __tsan_release(const_cast<void*>(addr));
}

// The next definition of the C function `name` (the library's own).
void* RealC(const char* name) {
  void* real = dlsym(RTLD_NEXT, name);
  if (real == nullptr) {
    std::fprintf(stderr, "tsan_annotations: %s not found: %s\n", name,
                 dlerror());
    std::abort();
  }
  return real;
}

// abseil's own definition of the member function whose Itanium mangled name
// is "_ZN" `cv` "4absl" <inline namespace> `rest` (`cv`: "K" for a const
// member function, else "").
void* Real(const char* cv, const char* rest) {
  char name[256];
#if ABSL_OPTION_USE_INLINE_NAMESPACE
  const char* ns = ASYNCGRPC_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  std::snprintf(name, sizeof(name), "_ZN%s4absl%zu%s%s", cv, std::strlen(ns),
                ns, rest);
#else
  std::snprintf(name, sizeof(name), "_ZN%s4absl%s", cv, rest);
#endif
  void* real = dlsym(RTLD_NEXT, name);
  if (real == nullptr) {
    std::fprintf(stderr, "tsan_annotations: %s not found: %s\n", name,
                 dlerror());
    std::abort();
  }
  return real;
}

template <typename Fn>
Fn Resolve(std::atomic<void*>& cache, const char* cv, const char* rest) {
  void* fn = cache.load(std::memory_order_relaxed);
  if (fn == nullptr) {
    fn = Real(cv, rest);
    cache.store(fn, std::memory_order_relaxed);
  }
  return reinterpret_cast<Fn>(fn);
}

// REAL(Type, "mangled rest")(args...): calls abseil's definition (REAL_CONST
// for a const member function). Member functions take `this` as their first
// argument (Itanium C++ ABI).
#define REAL_CV(Type, cv, rest)                \
  ([]() -> Type {                              \
    static std::atomic<void*> cache;           \
    return Resolve<Type>(cache, (cv), (rest)); \
  }())
#define REAL(Type, rest) REAL_CV(Type, "", rest)
#define REAL_CONST(Type, rest) REAL_CV(Type, "K", rest)

// Where Notification keeps its flag: HasBeenNotified() (inline, so compiled
// into our instrumented code) load-acquires it without taking the mutex.
const void* NotifiedFlag(const absl::Notification* notification) {
  static_assert(sizeof(absl::Notification) == 2 * sizeof(absl::Mutex),
                "absl::Notification is {Mutex mutex_; atomic<bool> flag}");
  return reinterpret_cast<const char*>(notification) + sizeof(absl::Mutex);
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

// ------------------------------------------------------------------- Mutex

void Mutex::Lock() {
  REAL(void (*)(Mutex*), "5Mutex4LockEv")(this);
  Acquire(this);
}

void Mutex::ReaderLock() {
  REAL(void (*)(Mutex*), "5Mutex10ReaderLockEv")(this);
  Acquire(this);
}

bool Mutex::TryLock() {
  const bool locked = REAL(bool (*)(Mutex*), "5Mutex7TryLockEv")(this);
  if (locked) Acquire(this);
  return locked;
}

bool Mutex::ReaderTryLock() {
  const bool locked = REAL(bool (*)(Mutex*), "5Mutex13ReaderTryLockEv")(this);
  if (locked) Acquire(this);
  return locked;
}

void Mutex::Unlock() {
  Release(this);
  REAL(void (*)(Mutex*), "5Mutex6UnlockEv")(this);
}

void Mutex::ReaderUnlock() {
  Release(this);
  REAL(void (*)(Mutex*), "5Mutex12ReaderUnlockEv")(this);
}

void Mutex::LockWhen(const Condition& cond) {
  REAL(void (*)(Mutex*, const Condition&), "5Mutex8LockWhenERKNS0_9ConditionE")
  (this, cond);
  Acquire(this);
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  REAL(void (*)(Mutex*, const Condition&),
       "5Mutex14ReaderLockWhenERKNS0_9ConditionE")
  (this, cond);
  Acquire(this);
}

// The *WithTimeout/*WithDeadline variants hold the mutex on return either way.
bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  const bool met = REAL(bool (*)(Mutex*, const Condition&, Duration),
                        "5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_"
                        "8DurationE")(this, cond, timeout);
  Acquire(this);
  return met;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  const bool met = REAL(bool (*)(Mutex*, const Condition&, Time),
                        "5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_"
                        "4TimeE")(this, cond, deadline);
  Acquire(this);
  return met;
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout) {
  const bool met =
      REAL(bool (*)(Mutex*, const Condition&, Duration),
           "5Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_"
           "8DurationE")(this, cond, timeout);
  Acquire(this);
  return met;
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline) {
  const bool met =
      REAL(bool (*)(Mutex*, const Condition&, Time),
           "5Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE")(
          this, cond, deadline);
  Acquire(this);
  return met;
}

// Await* give the mutex up while they wait and hold it again on return.
void Mutex::Await(const Condition& cond) {
  Release(this);
  REAL(void (*)(Mutex*, const Condition&), "5Mutex5AwaitERKNS0_9ConditionE")
  (this, cond);
  Acquire(this);
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  Release(this);
  const bool met =
      REAL(bool (*)(Mutex*, const Condition&, Duration),
           "5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE")(
          this, cond, timeout);
  Acquire(this);
  return met;
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  Release(this);
  const bool met =
      REAL(bool (*)(Mutex*, const Condition&, Time),
           "5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE")(this, cond,
                                                                    deadline);
  Acquire(this);
  return met;
}

// ----------------------------------------------------------------- CondVar

void CondVar::Wait(Mutex* mu) {
  Release(mu);
  REAL(void (*)(CondVar*, Mutex*), "7CondVar4WaitEPNS0_5MutexE")(this, mu);
  Acquire(mu);
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  Release(mu);
  const bool timed_out =
      REAL(bool (*)(CondVar*, Mutex*, Duration),
           "7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE")(this, mu,
                                                                   timeout);
  Acquire(mu);
  return timed_out;
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  Release(mu);
  const bool timed_out = REAL(
      bool (*)(CondVar*, Mutex*, Time),
      "7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE")(this, mu, deadline);
  Acquire(mu);
  return timed_out;
}

// ------------------------------------------- Notification, BlockingCounter

void Notification::Notify() {
  Release(NotifiedFlag(this));
  REAL(void (*)(Notification*), "12Notification6NotifyEv")(this);
}

// Returns at once, without the mutex, when the flag is already set.
void Notification::WaitForNotification() const {
  REAL_CONST(void (*)(const Notification*),
             "12Notification19WaitForNotificationEv")
  (this);
  Acquire(NotifiedFlag(this));
}

bool Notification::WaitForNotificationWithTimeout(Duration timeout) const {
  const bool notified =
      REAL_CONST(bool (*)(const Notification*, Duration),
                 "12Notification30WaitForNotificationWithTimeoutENS0_"
                 "8DurationE")(this, timeout);
  if (notified) Acquire(NotifiedFlag(this));
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(Time deadline) const {
  const bool notified =
      REAL_CONST(bool (*)(const Notification*, Time),
                 "12Notification31WaitForNotificationWithDeadlineENS0_4TimeE")(
          this, deadline);
  if (notified) Acquire(NotifiedFlag(this));
  return notified;
}

bool BlockingCounter::DecrementCount() {
  // Only the last decrement takes the mutex; the others are lone atomics.
  Release(this);
  return REAL(bool (*)(BlockingCounter*),
              "15BlockingCounter14DecrementCountEv")(this);
}

void BlockingCounter::Wait() {
  REAL(void (*)(BlockingCounter*), "15BlockingCounter4WaitEv")(this);
  Acquire(this);
}

// ------------------------------------------------------------------ Status

// A Status copy shares its rep through a reference count that Ref() bumps in
// inline (instrumented) code but UnrefNonInlined drops in libabsl_status, where
// TSan cannot see it: the thread that drops the last reference and deletes the
// rep was not ordered after the other owners' reads. Every dropper releases;
// the dropper acquires what all earlier droppers released before it drops its
// own reference (a dropper racing in the few instructions between its release
// and its decrement is the one ordering this can still miss).
void Status::UnrefNonInlined(uintptr_t rep) {
  static const auto real = reinterpret_cast<void (*)(uintptr_t)>(
      Real("", "6Status15UnrefNonInlinedEm"));
  const void* shared = RepToPointer(rep);
  Release(shared);
  Acquire(shared);
  real(rep);
}

ABSL_NAMESPACE_END
}  // namespace absl

// ------------------------------------------------------------------- gRPC

struct grpc_cq_completion;

extern "C" grpc_call_error grpc_call_start_batch(grpc_call* call,
                                                 const grpc_op* ops,
                                                 size_t nops, void* tag,
                                                 void* reserved) {
  using Fn =
      grpc_call_error (*)(grpc_call*, const grpc_op*, size_t, void*, void*);
  static const auto real = reinterpret_cast<Fn>(RealC("grpc_call_start_batch"));
  Release(tag);
  return real(call, ops, nops, tag, reserved);
}

extern "C" grpc_call_error grpc_server_request_call(
    grpc_server* server, grpc_call** call, grpc_call_details* details,
    grpc_metadata_array* request_metadata,
    grpc_completion_queue* cq_bound_to_call,
    grpc_completion_queue* cq_for_notification, void* tag_new) {
  using Fn = grpc_call_error (*)(grpc_server*, grpc_call**, grpc_call_details*,
                                 grpc_metadata_array*, grpc_completion_queue*,
                                 grpc_completion_queue*, void*);
  static const auto real =
      reinterpret_cast<Fn>(RealC("grpc_server_request_call"));
  Release(tag_new);
  return real(server, call, details, request_metadata, cq_bound_to_call,
              cq_for_notification, tag_new);
}

extern "C" grpc_call_error grpc_server_request_registered_call(
    grpc_server* server, void* registered_method, grpc_call** call,
    gpr_timespec* deadline, grpc_metadata_array* request_metadata,
    grpc_byte_buffer** optional_payload,
    grpc_completion_queue* cq_bound_to_call,
    grpc_completion_queue* cq_for_notification, void* tag_new) {
  using Fn = grpc_call_error (*)(grpc_server*, void*, grpc_call**,
                                 gpr_timespec*, grpc_metadata_array*,
                                 grpc_byte_buffer**, grpc_completion_queue*,
                                 grpc_completion_queue*, void*);
  static const auto real =
      reinterpret_cast<Fn>(RealC("grpc_server_request_registered_call"));
  Release(tag_new);
  return real(server, registered_method, call, deadline, request_metadata,
              optional_payload, cq_bound_to_call, cq_for_notification, tag_new);
}

// gRPC core's (C++-mangled, exported) completion of `tag`: from here the tag's
// callback runs (now or on another thread) or its event is queued. absl::Status
// is not trivially copyable, so the Itanium ABI passes `error` by invisible
// reference: it is forwarded as that address, never copied or destroyed here
// (the caller owns it), which keeps this library free of abseil's code.
void grpc_cq_end_op(grpc_completion_queue* cq, void* tag, absl::Status error,
                    void (*done)(void* done_arg, grpc_cq_completion* storage),
                    void* done_arg, grpc_cq_completion* storage,
                    bool internal) {
  using Fn = void (*)(grpc_completion_queue*, void*, absl::Status*,
                      void (*)(void*, grpc_cq_completion*), void*,
                      grpc_cq_completion*, bool);
  static const auto real = [] {
    char name[256];
#if ABSL_OPTION_USE_INLINE_NAMESPACE
    const char* ns = ASYNCGRPC_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME);
    std::snprintf(name, sizeof(name),
                  "_Z14grpc_cq_end_opP21grpc_completion_queuePvN4absl%zu%s6"
                  "StatusEPFvS1_P18grpc_cq_completionES1_S6_b",
                  std::strlen(ns), ns);
#else
    std::snprintf(name, sizeof(name),
                  "_Z14grpc_cq_end_opP21grpc_completion_queuePvN4absl6"
                  "StatusEPFvS1_P18grpc_cq_completionES1_S6_b");
#endif
    return reinterpret_cast<Fn>(RealC(name));
  }();
  // The completing thread may run the tag's callback itself (it acquires), or
  // queue it for a thread in grpc_completion_queue_next/pluck (it releases).
  Acquire(tag);
  Release(tag);
  real(cq, tag, &error, done, done_arg, storage, internal);
}

// Completion-queue consumers: gRPC's own "nexting" threads that run callback
// tags (grpc++'s callback CQ when the poller cannot run them), the sync
// server's pollers and blocking client calls. gRPC hands the completion over
// through a lock-free queue.
extern "C" grpc_event grpc_completion_queue_next(grpc_completion_queue* cq,
                                                 gpr_timespec deadline,
                                                 void* reserved) {
  using Fn = grpc_event (*)(grpc_completion_queue*, gpr_timespec, void*);
  static const auto real =
      reinterpret_cast<Fn>(RealC("grpc_completion_queue_next"));
  const grpc_event event = real(cq, deadline, reserved);
  if (event.type == GRPC_OP_COMPLETE) Acquire(event.tag);
  return event;
}

extern "C" grpc_event grpc_completion_queue_pluck(grpc_completion_queue* cq,
                                                  void* tag,
                                                  gpr_timespec deadline,
                                                  void* reserved) {
  using Fn = grpc_event (*)(grpc_completion_queue*, void*, gpr_timespec, void*);
  static const auto real =
      reinterpret_cast<Fn>(RealC("grpc_completion_queue_pluck"));
  const grpc_event event = real(cq, tag, deadline, reserved);
  if (event.type == GRPC_OP_COMPLETE) Acquire(event.tag);
  return event;
}

// --------------------------------------------------------- gRPC C++ server

namespace grpc::internal {

// Every earlier MaybeDone released into callbacks_outstanding_ (acq_rel); the
// one that reaches zero may be libgrpc++'s uninstrumented copy, so acquire
// explicitly before OnDone is run or dispatched.
void ServerCallbackCall::ScheduleOnDone(bool inline_ondone) {
  static const auto real =
      reinterpret_cast<void (*)(ServerCallbackCall*, bool)>(
          RealC("_ZN4grpc8internal18ServerCallbackCall14ScheduleOnDoneEb"));
  Acquire(&callbacks_outstanding_);
  real(this, inline_ondone);
}

}  // namespace grpc::internal
