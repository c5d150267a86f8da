#pragma once
// The frame clock: when each programme's next frame is due. The media thread sleeps until the
// earliest deadline, ticks that programme, then advances its deadline by a frame, following its
// live feed's packet grid a bounded step at a time. A deadline missed by more than kResyncAfter
// is given up (the clock resynchronises) rather than caught up in a burst. Time is passed in, so
// the clock is tested without sleeping. Used by the media thread alone.

#include <chrono>
#include <cstddef>
#include <optional>
#include <vector>

namespace loa {

class FrameClock {
public:
    using Clock = std::chrono::steady_clock;
    /// Later than this behind, a programme's clock resynchronises instead of catching up.
    static constexpr auto kResyncAfter = std::chrono::milliseconds(200);
    /// How far one frame may move to follow a live feed (5% of 20 ms).
    static constexpr std::chrono::nanoseconds kMaxStep = std::chrono::milliseconds(1);

    FrameClock(size_t programmes, Clock::time_point now) : deadlines_(programmes, now) {}

    /// The programme due first (the lowest index among equals), and when.
    size_t next() const;
    Clock::time_point deadline(size_t k) const { return deadlines_[k]; }
    /// Programme `k` does not tick on its own (an idle emergency slot, or one ticked with the
    /// feed it relays) until woken.
    void pause(size_t k) { deadlines_[k] = Clock::time_point::max(); }
    /// A paused programme ticks from `now` on; a running one keeps its deadline.
    void wake(size_t k, Clock::time_point now);
    bool paused(size_t k) const { return deadlines_[k] == Clock::time_point::max(); }
    /// At `now`, programme `k` is over kResyncAfter late: its deadline becomes `now`. Returns
    /// by how much it was late (nothing if it was not).
    std::optional<std::chrono::nanoseconds> resyncIfLate(size_t k, Clock::time_point now);
    /// After `k` ticked: its next deadline a `period` on, moved at most kMaxStep towards
    /// `anchor` (its live feed's packet grid), if it has one.
    void advance(size_t k, std::chrono::nanoseconds period, std::optional<Clock::time_point> anchor);

private:
    std::vector<Clock::time_point> deadlines_;
};

}  // namespace loa
