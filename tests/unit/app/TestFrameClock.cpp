#include <gtest/gtest.h>

#include "app/FrameClock.hpp"

namespace loa {
namespace {

using namespace std::chrono_literals;
using TimePoint = FrameClock::Clock::time_point;
const TimePoint kT0 = TimePoint(1000s);

TEST(FrameClock, TheEarliestDeadlineTicksAndEachAdvancesByItsFrame) {
    FrameClock clock(2, kT0);
    EXPECT_EQ(clock.next(), 0u);  // equal deadlines: the first
    clock.advance(0, 20ms, std::nullopt);
    EXPECT_EQ(clock.next(), 1u);
    clock.advance(1, 10ms, std::nullopt);
    EXPECT_EQ(clock.next(), 1u);  // 10 ms before 20 ms
    EXPECT_EQ(clock.deadline(1), kT0 + 10ms);
    clock.advance(1, 10ms, std::nullopt);
    EXPECT_EQ(clock.next(), 0u);  // 20 ms each: the lower index first
}

TEST(FrameClock, APausedSlotNeverTicksAndStartsFromNowWhenWoken) {
    FrameClock clock(2, kT0);
    clock.pause(1);
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(clock.next(), 0u);
        clock.advance(0, 20ms, std::nullopt);
    }
    clock.wake(1, kT0 + 95ms);
    EXPECT_EQ(clock.deadline(1), kT0 + 95ms);
    EXPECT_EQ(clock.next(), 1u);
    clock.advance(1, 20ms, std::nullopt);
    clock.wake(1, kT0 + 500ms);  // running: keeps its deadline
    EXPECT_EQ(clock.deadline(1), kT0 + 115ms);
}

TEST(FrameClock, FollowsALiveFeedAtMostAMillisecondAFrame) {
    FrameClock clock(1, kT0);
    // The feed's grid is 5 ms later: reached in five frames, then held.
    for (int i = 1; i <= 7; ++i) {
        const TimePoint anchor = kT0 + 20ms * i + 5ms;
        clock.advance(0, 20ms, anchor);
        EXPECT_EQ(clock.deadline(0), kT0 + 20ms * i + std::min(i, 5) * 1ms) << i;
    }
    // A feed whose clock runs slow pulls the grid back, a millisecond a frame at most.
    const auto before = clock.deadline(0);
    clock.advance(0, 20ms, before + 20ms - 3ms);
    EXPECT_EQ(clock.deadline(0), before + 19ms);
}

TEST(FrameClock, OnlyADeadlineMissedByMoreThanTheLimitResynchronises) {
    FrameClock clock(1, kT0);
    EXPECT_FALSE(clock.resyncIfLate(0, kT0 + FrameClock::kResyncAfter));
    EXPECT_EQ(clock.deadline(0), kT0);  // caught up frame by frame
    const auto late = clock.resyncIfLate(0, kT0 + 350ms);
    ASSERT_TRUE(late);
    EXPECT_EQ(*late, 350ms);
    EXPECT_EQ(clock.deadline(0), kT0 + 350ms);
}

}  // namespace
}  // namespace loa
