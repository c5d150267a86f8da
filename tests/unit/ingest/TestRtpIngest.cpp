#include <gtest/gtest.h>

#include "common/Error.hpp"
#include "ingest/RtpIngest.hpp"
#include "rtp/RtpPacket.hpp"

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
