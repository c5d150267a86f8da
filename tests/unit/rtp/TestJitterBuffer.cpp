#include <gtest/gtest.h>

#include "rtp/JitterBuffer.hpp"

using namespace loa;

namespace {
std::vector<uint8_t> payload(uint8_t v) {
    return {v};
}
}  // namespace

TEST(JitterBuffer, PlaysInSequenceOrderWhateverTheArrivalOrder) {
    JitterBuffer jb(16);
    EXPECT_FALSE(jb.popNext());  // nothing before the first packet
    EXPECT_EQ(jb.insert(10, payload(10)), JitterBuffer::Insert::accepted);
    EXPECT_EQ(jb.insert(12, payload(12)), JitterBuffer::Insert::accepted);
    EXPECT_EQ(jb.insert(11, payload(11)), JitterBuffer::Insert::accepted);
    EXPECT_EQ(jb.depth(), 3u);
    EXPECT_EQ(*jb.popNext(), payload(10));
    EXPECT_EQ(*jb.popNext(), payload(11));
    EXPECT_EQ(*jb.popNext(), payload(12));
    EXPECT_TRUE(jb.popNext()->empty());  // ran dry: the caller conceals
}

TEST(JitterBuffer, CountsDuplicatesAndLatePackets) {
    JitterBuffer jb(16);
    jb.insert(1, payload(1));
    EXPECT_EQ(jb.insert(1, payload(1)), JitterBuffer::Insert::duplicate);
    jb.insert(3, payload(3));
    jb.popNext();                        // 1
    EXPECT_TRUE(jb.popNext()->empty());  // 2 missing: a hole
    ASSERT_TRUE(jb.peekNext());          // 3 is here, for FEC
    EXPECT_EQ(jb.insert(2, payload(2)), JitterBuffer::Insert::late);
    EXPECT_EQ(*jb.popNext(), payload(3));
}

TEST(JitterBuffer, FollowsTheSequenceAcrossItsWrap) {
    JitterBuffer jb(16);
    jb.insert(65534, payload(1));
    jb.insert(0, payload(3));
    jb.insert(65535, payload(2));
    EXPECT_EQ(*jb.popNext(), payload(1));
    EXPECT_EQ(*jb.popNext(), payload(2));
    EXPECT_EQ(*jb.popNext(), payload(3));
}

TEST(JitterBuffer, RestartsOnAJumpFurtherThanItHolds) {
    JitterBuffer jb(16);
    jb.insert(100, payload(1));
    jb.popNext();
    EXPECT_EQ(jb.insert(5000, payload(2)), JitterBuffer::Insert::restarted);
    EXPECT_EQ(*jb.popNext(), payload(2));
    for (int i = 0; i < 40; ++i)
        jb.popNext();
    EXPECT_EQ(jb.insert(7, payload(3)), JitterBuffer::Insert::restarted);  // far behind: a new stream
    EXPECT_EQ(*jb.popNext(), payload(3));
}
