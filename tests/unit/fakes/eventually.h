// Eventually: waits for a state another thread brings about (a cache
// synced, a pass done), instead of sleeping for a guessed time.
#ifndef CAPI_BRIDGE_TESTS_UNIT_FAKES_EVENTUALLY_H_
#define CAPI_BRIDGE_TESTS_UNIT_FAKES_EVENTUALLY_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace capi_bridge::testing {

// Polls `done` until it returns true. False only when it is still false
// after a minute: a bound that ends a hung test, not a speed expected of a
// loaded machine.
template <typename F>
bool Eventually(F done) {
  const absl::Time give_up = absl::Now() + absl::Minutes(1);
  while (!done()) {
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return true;
}

}  // namespace capi_bridge::testing

#endif  // CAPI_BRIDGE_TESTS_UNIT_FAKES_EVENTUALLY_H_
