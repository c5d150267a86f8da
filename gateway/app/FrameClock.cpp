#include "app/FrameClock.hpp"

#include <algorithm>

namespace loa {

size_t FrameClock::next() const {
    return static_cast<size_t>(std::min_element(deadlines_.begin(), deadlines_.end()) - deadlines_.begin());
}

void FrameClock::wake(size_t k, Clock::time_point now) {
    if (paused(k)) deadlines_[k] = now;
}

std::optional<std::chrono::nanoseconds> FrameClock::resyncIfLate(size_t k, Clock::time_point now) {
    const auto late = now - deadlines_[k];
    if (late <= kResyncAfter) return std::nullopt;
    deadlines_[k] = now;
    return std::chrono::duration_cast<std::chrono::nanoseconds>(late);
}

void FrameClock::advance(size_t k, std::chrono::nanoseconds period, std::optional<Clock::time_point> anchor) {
    deadlines_[k] += period;
    if (anchor) {
        // Align the frame grid with the live feed's packet grid and follow its clock, a bounded
        // step per frame: no frame of waiting, no drift, no growing delay.
        deadlines_[k] += std::clamp(std::chrono::duration_cast<std::chrono::nanoseconds>(*anchor - deadlines_[k]),
                                    -kMaxStep, kMaxStep);
    }
}

}  // namespace loa
