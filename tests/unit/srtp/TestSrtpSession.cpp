#include <gtest/gtest.h>

#include <array>

#include "TestData.hpp"
#include "common/Error.hpp"
#include "common/Log.hpp"
#include "rtp/RtpPacket.hpp"
#include "srtp/IndexReservation.hpp"
#include "srtp/SenderRollover.hpp"
#include "srtp/SrtpSession.hpp"

using namespace loa;

namespace {
std::vector<uint8_t> key(SrtpProfile p, uint8_t seed) {
    std::vector<uint8_t> k(keyMaterialLength(p));
    for (size_t i = 0; i < k.size(); ++i)
        k[i] = static_cast<uint8_t>(seed + i * 7);
    return k;
}

/// An RTP packet with the stream-info extension, in a buffer with room for the SRTP trailer.
std::vector<uint8_t> packet(uint16_t seq, uint32_t ssrc = 0x11223344, uint32_t roc = 0) {
    RtpHeader h;
    h.payloadType = 96;
    h.sequence = seq;
    h.timestamp = seq * 960u;
    h.ssrc = ssrc;
    h.extensionId = 1;
    h.info.priority = 4;
    h.info.rolloverCounter = roc;
    std::vector<uint8_t> buf(200, 0);
    const size_t n = writeRtpHeader(h, buf);
    for (size_t i = n; i < n + 100; ++i)
        buf[i] = static_cast<uint8_t>(i);
    buf.resize(n + 100 + 16);
    return buf;
}
constexpr size_t kPlainLength = 24 + 100;
}  // namespace

class SrtpRoundTrip : public ::testing::TestWithParam<SrtpProfile> {};

TEST_P(SrtpRoundTrip, ProtectThenUnprotectGivesThePacketBack) {
    const auto profile = GetParam();
    SrtpSession tx(SrtpSession::Direction::outbound, profile, key(profile, 1));
    SrtpSession rx(SrtpSession::Direction::inbound, profile, key(profile, 1));
    for (uint16_t seq = 100; seq < 110; ++seq) {
        auto buf = packet(seq);
        const auto plain = std::vector<uint8_t>(buf.begin(), buf.begin() + kPlainLength);
        size_t len = kPlainLength;
        ASSERT_EQ(tx.protectRtp(buf, len), SrtpResult::ok);
        EXPECT_EQ(len, kPlainLength + info(profile).maxTrailer);
        EXPECT_NE(std::vector<uint8_t>(buf.begin() + 24, buf.begin() + kPlainLength),
                  std::vector<uint8_t>(plain.begin() + 24, plain.end()));  // payload encrypted
        ASSERT_EQ(rx.unprotectRtp(buf, len), SrtpResult::ok);
        EXPECT_EQ(std::vector<uint8_t>(buf.begin(), buf.begin() + static_cast<long>(len)), plain);
    }
}

TEST_P(SrtpRoundTrip, WrongKeyTamperingAndReplayAreRefused) {
    const auto profile = GetParam();
    SrtpSession tx(SrtpSession::Direction::outbound, profile, key(profile, 1));
    SrtpSession rx(SrtpSession::Direction::inbound, profile, key(profile, 1));
    SrtpSession wrong(SrtpSession::Direction::inbound, profile, key(profile, 2));

    auto buf = packet(7);
    size_t len = kPlainLength;
    ASSERT_EQ(tx.protectRtp(buf, len), SrtpResult::ok);
    auto copy = buf;
    size_t copyLen = len;
    EXPECT_EQ(wrong.unprotectRtp(copy, copyLen), SrtpResult::authFailed);

    copy = buf;
    copyLen = len;
    copy[40] ^= 1;  // one payload bit
    EXPECT_EQ(rx.unprotectRtp(copy, copyLen), SrtpResult::authFailed);

    copy = buf;
    copyLen = len;
    ASSERT_EQ(rx.unprotectRtp(copy, copyLen), SrtpResult::ok);
    copy = buf;
    copyLen = len;
    EXPECT_EQ(rx.unprotectRtp(copy, copyLen), SrtpResult::replay);
}

TEST_P(SrtpRoundTrip, RefusesAKeyOfTheWrongLength) {
    const auto profile = GetParam();
    std::vector<uint8_t> shortKey(keyMaterialLength(profile) - 1, 1);
    EXPECT_THROW(SrtpSession(SrtpSession::Direction::outbound, profile, shortKey), Error);
}

TEST_P(SrtpRoundTrip, ReceiverJoinsAtTheSendersRolloverCounter) {
    const auto profile = GetParam();
    const uint32_t ssrc = 0x5555;
    SrtpSession tx(SrtpSession::Direction::outbound, profile, key(profile, 3));
    ASSERT_EQ(tx.setRolloverCounter(ssrc, 70), SrtpResult::ok);
    auto buf = packet(10, ssrc, 70);
    size_t len = kPlainLength;
    ASSERT_EQ(tx.protectRtp(buf, len), SrtpResult::ok);
    EXPECT_EQ(tx.rolloverCounter(ssrc), 70u);

    SrtpSession fresh(SrtpSession::Direction::inbound, profile, key(profile, 3));
    auto copy = buf;
    size_t copyLen = len;
    EXPECT_NE(fresh.unprotectRtp(copy, copyLen), SrtpResult::ok);  // assumes ROC 0: wrong index

    SrtpSession joined(SrtpSession::Direction::inbound, profile, key(profile, 3));
    ASSERT_EQ(joined.setRolloverCounter(ssrc, 70), SrtpResult::ok);
    copy = buf;
    copyLen = len;
    EXPECT_EQ(joined.unprotectRtp(copy, copyLen), SrtpResult::ok);
}

INSTANTIATE_TEST_SUITE_P(Profiles, SrtpRoundTrip,
                         ::testing::Values(SrtpProfile::aesCm128HmacSha1_80, SrtpProfile::aeadAes128Gcm));

TEST(IndexReservation, EachRunStartsAboveEveryEarlierOne) {
    test::TempDir dir;
    const auto file = dir.path() / "srtp-rollover";
    uint32_t firstLimit;
    {
        IndexReservation first(file, 64);
        EXPECT_EQ(first.start(), 0u);
        EXPECT_EQ(first.limit(), 64u);
        EXPECT_TRUE(first.extendIfNeeded(10));
        EXPECT_EQ(first.limit(), 64u);  // far from the limit: nothing to do
        EXPECT_TRUE(first.extendIfNeeded(50));
        EXPECT_EQ(first.limit(), 128u);  // within a quarter block: one more block, on disk
        firstLimit = first.limit();
    }
    IndexReservation second(file, 64);
    EXPECT_EQ(second.start(), firstLimit);  // every ROC the first run could have used is behind
    EXPECT_EQ(second.limit(), firstLimit + 64);
}

TEST(IndexReservation, RefusesAGarbledFile) {
    test::TempDir dir;
    const auto file = dir.path() / "srtp-rollover";
    std::ofstream(file) << "not a number\n";
    EXPECT_THROW(IndexReservation(file, 64), Error);
}

TEST(IndexReservation, WarnsFromHalfTheIndexSpaceOnAndHoldsAtItsEnd) {
    test::TempDir dir;
    const auto file = dir.path() / "srtp-rollover";
    {
        std::ofstream(file) << 1000 << "\n";
        testing::internal::CaptureStderr();
        IndexReservation young(file, 64);
        EXPECT_LT(young.used(), 0.001);
        EXPECT_EQ((log::flush(), testing::internal::GetCapturedStderr()).find("key usage"), std::string::npos);
    }
    {
        std::ofstream(file) << IndexReservation::kWarnFrom << "\n";
        testing::internal::CaptureStderr();
        IndexReservation old(file, 64);
        EXPECT_GE(old.used(), 0.5);
        EXPECT_NE((log::flush(), testing::internal::GetCapturedStderr()).find("50% of the SRTP rollover counters"), std::string::npos);
    }
    // The last block: it is reserved, and then there is no other.
    std::ofstream(file) << 0xffffffffu - 128u << "\n";
    testing::internal::CaptureStderr();
    IndexReservation last(file, 64);
    EXPECT_EQ(last.limit(), 0xffffffffu - 64u);
    EXPECT_TRUE(last.extendIfNeeded(last.limit() - 1));
    EXPECT_EQ(last.limit(), 0xffffffffu);
    EXPECT_FALSE(last.extendIfNeeded(last.limit() - 1)) << "past the end of the index space";
    EXPECT_EQ(last.limit(), 0xffffffffu) << "the senders hold back at the limit";
    EXPECT_NE((log::flush(), testing::internal::GetCapturedStderr()).find("used up"), std::string::npos);
}

class RtcpIndex : public ::testing::TestWithParam<SrtpProfile> {};

TEST_P(RtcpIndex, ASenderSetsWhereItsReportIndexesContinueAndTheReceiverReadsThemFromTheTrailer) {
    const auto profile = GetParam();
    const std::vector<uint8_t> key(keyMaterialLength(profile), 0x42);
    constexpr uint32_t kSsrc = 0x1234;
    SrtpSession tx(SrtpSession::Direction::outbound, profile, key, kSsrc);
    SrtpSession rx(SrtpSession::Direction::inbound, profile, key, kSsrc);
    const auto send = [&] {
        std::vector<uint8_t> packet(128, 0);
        packet[0] = 0x80;
        packet[1] = 201;  // an empty receiver report
        packet[3] = 1;
        packet[4] = 0x00, packet[5] = 0x00, packet[6] = 0x12, packet[7] = 0x34;
        size_t length = 8;
        EXPECT_EQ(tx.protectRtcp(packet, length), SrtpResult::ok);
        packet.resize(length);
        return packet;
    };
    auto first = send();
    EXPECT_EQ(SrtpSession::rtcpIndexOf(profile, first), 1u) << "libsrtp starts at 1";
    ASSERT_EQ(tx.setRtcpIndex(kSsrc, 1'000'000), SrtpResult::ok);
    auto jumped = send();
    auto next = send();
    EXPECT_EQ(SrtpSession::rtcpIndexOf(profile, jumped), 1'000'000u);
    EXPECT_EQ(SrtpSession::rtcpIndexOf(profile, next), 1'000'001u);
    for (auto* p : {&first, &jumped, &next}) {
        size_t length = p->size();
        EXPECT_EQ(rx.unprotectRtcp(*p, length), SrtpResult::ok);
    }
    EXPECT_EQ(tx.setRtcpIndex(kSsrc, 0), SrtpResult::failed);
    EXPECT_EQ(tx.setRtcpIndex(kSsrc, SrtpSession::kMaxRtcpIndex + 1), SrtpResult::failed);
    EXPECT_EQ(tx.setRtcpIndex(0x999, 5), SrtpResult::failed) << "no such stream";
    EXPECT_FALSE(SrtpSession::rtcpIndexOf(profile, std::vector<uint8_t>(10)));
}

INSTANTIATE_TEST_SUITE_P(Profiles, RtcpIndex,
                         ::testing::Values(SrtpProfile::aesCm128HmacSha1_80, SrtpProfile::aeadAes128Gcm));

TEST(SenderRollover, TheNearestIndexFollowsTheSequenceAcrossItsWrapBothWays) {
    EXPECT_EQ(nearestIndex(0, 5), 5u);
    EXPECT_EQ(nearestIndex(0, 65530), 65530u) << "never below rollover counter 0";
    EXPECT_EQ(nearestIndex((3ull << 16) | 65530, 4), (4ull << 16) | 4) << "just past a wrap";
    EXPECT_EQ(nearestIndex((4ull << 16) | 4, 65530), (3ull << 16) | 65530) << "just before it, reordered";
    EXPECT_EQ(nearestIndex((4ull << 16) | 40000, 40100), (4ull << 16) | 40100);
    EXPECT_EQ(nearestIndex((4ull << 16) | 100, 30000), (4ull << 16) | 30000);
}
