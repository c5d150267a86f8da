#pragma once
// Sleeping to an absolute deadline on the monotonic clock: pacing adds each period to the
// previous deadline and sleeps to it, so no drift accumulates from the time spent working.

#include <time.h>

#include <cerrno>
#include <chrono>

namespace loa {

/// Sleeps until `when` (CLOCK_MONOTONIC, which std::chrono::steady_clock reads), resuming
/// after signals.
inline void sleepUntil(std::chrono::steady_clock::time_point when) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
    timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
}

}  // namespace loa
