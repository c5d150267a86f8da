#include <gtest/gtest.h>

#include "common/Error.hpp"
#include "ingest/RtpIngest.hpp"
#include "rtp/RtpPacket.hpp"
#include "TestData.hpp"

using namespace loa;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {
std::vector<uint8_t> keyOf(uint8_t fill) {
    return std::vector<uint8_t>(30, fill);
}

IngestSettings settings(std::optional<std::vector<uint8_t>> key) {
    IngestSettings s;
    s.listen = *SocketAddress::parse("127.0.0.1:0");
    s.key = std::move(key);
    s.allowPlainRtp = !s.key;
    s.ssrcTakeoverMs = 1000;
    return s;
}

/// One RTP packet (payload type 96) with a 3-byte payload, SRTP-protected when `srtp` is given.
std::vector<uint8_t> packet(uint32_t ssrc, uint16_t sequence, SrtpSession* srtp = nullptr) {
    RtpHeader h;
    h.payloadType = 96;
    h.sequence = sequence;
    h.timestamp = sequence * 960u;
    h.ssrc = ssrc;
    std::vector<uint8_t> out(64);
    size_t n = writeRtpHeader(h, out);
    for (uint8_t b : {uint8_t{0xf8}, uint8_t{0x01}, uint8_t{0x02}})
        out[n++] = b;
    if (srtp) {
        EXPECT_EQ(srtp->protectRtp(out, n), SrtpResult::ok);
    }
    out.resize(n);
    return out;
}

size_t drained(RtpIngest& ingest) {
    std::vector<IngestPacket> out;
    ingest.drain(out);
    return out.size();
}
}  // namespace

TEST(RtpIngest, LocksOneSsrcAndLetsAnotherTakeOverOnlyAfterItsSilence) {
    RtpIngest ingest("test", settings(std::nullopt), 1);
    const auto t0 = Clock::now();
    auto a = packet(1, 10);
    ingest.handle(a, t0);
    auto b = packet(2, 500);
    ingest.handle(b, t0 + 20ms);  // a second encoder while the first is live: refused
    EXPECT_EQ(ingest.counters().foreignSsrc, 1u);
    auto a2 = packet(1, 11);
    ingest.handle(a2, t0 + 40ms);
    EXPECT_EQ(drained(ingest), 2u);
    auto b2 = packet(2, 501);
    ingest.handle(b2, t0 + 40ms + 1001ms);  // the first has been silent for the takeover time
    EXPECT_EQ(ingest.counters().ssrcChanges, 1u);
    std::vector<IngestPacket> out;
    ingest.drain(out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].ssrc, 2u);
    EXPECT_EQ(out[0].sequence, 501);
    EXPECT_EQ(out[0].payload.size(), 3u);
}

TEST(RtpIngest, RefusesPacketsUnderAWrongKeyAndMalformedOnesWithoutLockingOnThem) {
    initLibSrtp();
    RtpIngest ingest("test", settings(keyOf(7)), 1);
    SrtpSession wrong(SrtpSession::Direction::outbound, SrtpProfile::aesCm128HmacSha1_80, keyOf(8));
    SrtpSession right(SrtpSession::Direction::outbound, SrtpProfile::aesCm128HmacSha1_80, keyOf(7));
    const auto t0 = Clock::now();
    auto forged = packet(66, 1, &wrong);
    ingest.handle(forged, t0);
    std::vector<uint8_t> junk{0x80, 0x60, 0x00};
    ingest.handle(junk, t0);
    auto plain = packet(67, 1);
    ingest.handle(plain, t0);
    EXPECT_EQ(ingest.counters().authFailures, 2u);
    EXPECT_EQ(ingest.counters().malformed, 1u);
    EXPECT_EQ(drained(ingest), 0u);
    // The genuine studio locks at once: nothing forged was ever locked.
    auto genuine = packet(5, 1, &right);
    auto again = genuine;
    ingest.handle(genuine, t0 + 1ms);
    EXPECT_EQ(ingest.counters().foreignSsrc, 0u);
    EXPECT_EQ(drained(ingest), 1u);
    // A replayed packet is refused too.
    ingest.handle(again, t0 + 2ms);
    EXPECT_EQ(ingest.counters().replays, 1u);
    EXPECT_EQ(drained(ingest), 0u);
}

TEST(RtpIngest, WithoutAKeyItRefusesToStartUnlessPlainRtpIsAllowed) {
    auto s = settings(std::nullopt);
    s.allowPlainRtp = false;
    EXPECT_THROW(RtpIngest("test", s, 1), Error);
}

TEST(RtpIngest, RefusesPacketsFromAnAddressTheFeedIsNotPinnedTo) {
    auto s = settings(std::nullopt);
    s.sources = {*AddressPattern::parse("10.0.0.1"), *AddressPattern::parse("192.168.5.0/24")};
    RtpIngest ingest("test", s, 1);
    const auto t0 = Clock::now();
    auto stray = packet(1, 1);
    ingest.handle(stray, t0, *SocketAddress::parse("10.0.0.2:5000"));
    EXPECT_EQ(ingest.counters().unexpectedSource, 1u);
    auto studio = packet(1, 2);
    ingest.handle(studio, t0, *SocketAddress::parse("10.0.0.1:5000"));
    auto other = packet(1, 3);
    ingest.handle(other, t0, *SocketAddress::parse("192.168.5.77:5000"));
    EXPECT_EQ(drained(ingest), 2u);
}

TEST(RtpIngest, APacketCapturedBeforeARestartIsNeverQueuedAfterItAndTheStudioIsFollowedAcrossTheRollover) {
    initLibSrtp();
    test::TempDir dir;
    constexpr uint32_t kSsrc = 77;
    SrtpSession studio(SrtpSession::Direction::outbound, SrtpProfile::aesCm128HmacSha1_80, keyOf(7), kSsrc);
    uint64_t index = 65400;  // near the end of the first rollover: the studio goes past it
    studio.setRolloverCounter(kSsrc, 0);
    std::vector<std::vector<uint8_t>> captured;
    const auto next = [&] {
        auto p = packet(kSsrc, static_cast<uint16_t>(index++), &studio);
        captured.push_back(p);
        return p;
    };
    const auto t0 = Clock::now();
    for (int restart = 0; restart < 3; ++restart) {
        SCOPED_TRACE("run " + std::to_string(restart));
        ReplayFloors floors(dir.path() / "floors.db");
        RtpIngest ingest("national/live", settings(keyOf(7)), 1, &floors);
        floors.flush();
        for (auto copy : captured)
            ingest.handle(copy, t0);
        EXPECT_EQ(drained(ingest), 0u) << "a capture from before the restart was queued";
        EXPECT_EQ(ingest.counters().stale, captured.size());
        // The studio continues: queued again within the margin of a second's packets.
        size_t sent = 0;
        while (drained(ingest) == 0 && sent <= RtpIngest::kFloorMargin) {
            auto p = next();
            ingest.handle(p, t0);
            ++sent;
        }
        EXPECT_LE(sent, RtpIngest::kFloorMargin + 1);
        for (int i = 0; i < 120; ++i) {
            auto p = next();
            ingest.handle(p, t0);
            if (i % 40 == restart) floors.flush();
        }
        EXPECT_EQ(drained(ingest), 120u);
        EXPECT_EQ(ingest.counters().authFailures, 0u) << "the rollover counter was lost across the restart";
    }
    EXPECT_GT(index, 65536u) << "the studio went past a rollover";
}
