// Durable replay floors: whatever was acted on before a "restart" (a new object on the same file,
// the old one gone without a last flush, as after kill -9) is at or below the new floor.

#include "state/ReplayFloors.hpp"

#include <gtest/gtest.h>

#include <random>

#include "TestData.hpp"

using namespace loa;
using Verdict = ReplayFloors::Stream::Verdict;

TEST(ReplayFloors, NothingIsActedOnBeyondWhatIsSavedAndARestartStartsAboveIt) {
    test::TempDir dir;
    const auto file = dir.path() / "floors.db";
    uint64_t ceiling = 0;
    {
        ReplayFloors floors(file);
        auto& s = floors.stream("feed:1", 5);
        EXPECT_EQ(s.floor(), 0u);
        EXPECT_EQ(s.admit(1), Verdict::ahead) << "a new stream has nothing saved yet";
        ASSERT_TRUE(floors.flush());
        EXPECT_EQ(s.ceiling(), 6u) << "the index asked for and its margin";
        for (uint64_t i = 1; i <= 6; ++i) {
            ASSERT_EQ(s.admit(i), Verdict::ok) << i;
            s.accepted(i);
        }
        EXPECT_EQ(s.admit(7), Verdict::ahead) << "beyond the saved ceiling: not acted on";
        ASSERT_TRUE(floors.flush());
        ceiling = s.ceiling();
        EXPECT_EQ(ceiling, 12u);
    }  // gone without start()/stop(): no last flush, as after kill -9
    ReplayFloors again(file);
    auto& s = again.stream("feed:1", 5);
    EXPECT_EQ(s.floor(), ceiling);
    for (uint64_t i = 1; i <= ceiling; ++i)
        EXPECT_EQ(s.admit(i), Verdict::stale) << i;
    // A sender that continues is taken within its margin once the floor's pre-approval is saved.
    again.start();
    EXPECT_EQ(s.admit(ceiling + 1), Verdict::ok);
    EXPECT_EQ(s.admit(ceiling + 5), Verdict::ok);
    EXPECT_EQ(s.admit(ceiling + 6), Verdict::ahead);
    again.stop();
    EXPECT_EQ(again.saved("feed:1"), ceiling + 6 + 5) << "the index asked for is saved, with its margin";
    EXPECT_EQ(again.saved("feed:unknown"), 0u);
}

TEST(ReplayFloors, KilledAtRandomMomentsEveryIndexActedOnStaysAtOrBelowTheNextFloor) {
    test::TempDir dir;
    const auto file = dir.path() / "floors.db";
    std::mt19937 random(20261201);
    uint64_t sender = 0, actedHighest = 0;
    for (int round = 0; round < 25; ++round) {
        ReplayFloors floors(file);
        auto& s = floors.stream("station:x", 1 + round % 7);
        ASSERT_GE(s.floor(), actedHighest) << "round " << round << ": something acted on lies above the floor";
        floors.flush();  // the start's pre-approval
        const int packets = static_cast<int>(random() % 200);
        for (int p = 0; p < packets; ++p) {
            sender += 1 + random() % 3;  // a sender may skip indexes (loss)
            if (s.admit(sender) == Verdict::ok) {
                s.accepted(sender);
                actedHighest = std::max(actedHighest, sender);
            }
            if (random() % 10 == 0) floors.flush();  // the flusher, at its own moments
        }
    }
}

TEST(ReplayFloors, StreamsAreSavedInOneTransactionAndCounted) {
    test::TempDir dir;
    ReplayFloors floors(dir.path() / "floors.db");
    for (int i = 0; i < 1000; ++i)
        floors.stream("station:" + std::to_string(i), 1).accepted(10);
    ASSERT_TRUE(floors.flush());
    EXPECT_EQ(floors.counters().flushes.load(), 1u);
    EXPECT_EQ(floors.counters().rows.load(), 1000u);
    EXPECT_TRUE(floors.flush()) << "nothing more asked for";
    EXPECT_EQ(floors.counters().flushes.load(), 1u);
    EXPECT_EQ(floors.streams(), 1000u);
}
