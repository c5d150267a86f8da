#include <gtest/gtest.h>

#include "rtp/RtpPacket.hpp"
#include "srtp/SenderRollover.hpp"
#include "srtp/SrtpSession.hpp"

using namespace loa;

namespace {
const std::vector<uint8_t> kKey(30, 0x24);
constexpr uint32_t kSsrc = 4242;

/// A protected packet of stream kSsrc at rollover counter `roc`, sequence `seq`.
std::vector<uint8_t> sent(SrtpSession& tx, uint32_t roc, uint16_t seq) {
    RtpHeader h;
    h.payloadType = 96;
    h.sequence = seq;
    h.ssrc = kSsrc;
    h.extensionId = 1;
    h.info.priority = 4;
    h.info.rolloverCounter = roc;
    std::vector<uint8_t> buf(200, 0x11);
    const size_t n = writeRtpHeader(h, buf) + 80;
    size_t length = n;
    EXPECT_EQ(tx.protectRtp(buf, length), SrtpResult::ok);
    buf.resize(length);
    return buf;
}

SrtpResult received(SrtpSession& rx, std::vector<uint8_t> packet) {
    size_t length = packet.size();
    packet.resize(packet.size() + 16);
    return unprotectRtpFollowingSender(rx, packet, length, 1);
}
}  // namespace

TEST(SenderRollover, AReceiverJoinsAStreamInProgress) {
    SrtpSession tx(SrtpSession::Direction::outbound, SrtpProfile::aesCm128HmacSha1_80, kKey, kSsrc);
    tx.setRolloverCounter(kSsrc, 300);
    SrtpSession rx(SrtpSession::Direction::inbound, SrtpProfile::aesCm128HmacSha1_80, kKey);
    for (uint16_t seq = 5; seq < 10; ++seq)
        EXPECT_EQ(received(rx, sent(tx, 300, seq)), SrtpResult::ok);
}

TEST(SenderRollover, AReceiverFollowsARestartedSender) {
    SrtpSession rx(SrtpSession::Direction::inbound, SrtpProfile::aesCm128HmacSha1_80, kKey);
    SrtpSession before(SrtpSession::Direction::outbound, SrtpProfile::aesCm128HmacSha1_80, kKey, kSsrc);
    for (uint16_t seq = 0; seq < 50; ++seq)
        ASSERT_EQ(received(rx, sent(before, 0, seq)), SrtpResult::ok);
    // The restarted sender starts above every index it used: ROC 64, sequence 0 again.
    SrtpSession after(SrtpSession::Direction::outbound, SrtpProfile::aesCm128HmacSha1_80, kKey, kSsrc);
    after.setRolloverCounter(kSsrc, 64);
    for (uint16_t seq = 0; seq < 10; ++seq)
        EXPECT_EQ(received(rx, sent(after, 64, seq)), SrtpResult::ok);
}

TEST(SenderRollover, AForgedCounterFailsItsPacketOnlyAndTheStreamGoesOn) {
    SrtpSession tx(SrtpSession::Direction::outbound, SrtpProfile::aesCm128HmacSha1_80, kKey, kSsrc);
    SrtpSession rx(SrtpSession::Direction::inbound, SrtpProfile::aesCm128HmacSha1_80, kKey);
    for (uint16_t seq = 0; seq < 5; ++seq)
        ASSERT_EQ(received(rx, sent(tx, 0, seq)), SrtpResult::ok);

    // A copy of the next genuine packet with another counter in its (unencrypted) extension.
    auto forged = sent(tx, 0, 5);
    const auto genuine = forged;
    forged[18] ^= 0x7f;  // the counter's first byte (bytes 18-21 after the element header)
    EXPECT_NE(received(rx, forged), SrtpResult::ok);
    EXPECT_EQ(received(rx, genuine), SrtpResult::ok) << "the forged counter outlived its packet";
    for (uint16_t seq = 6; seq < 10; ++seq)
        EXPECT_EQ(received(rx, sent(tx, 0, seq)), SrtpResult::ok);
}

TEST(SenderRollover, AReplayedPacketIsStillRefused) {
    SrtpSession tx(SrtpSession::Direction::outbound, SrtpProfile::aesCm128HmacSha1_80, kKey, kSsrc);
    SrtpSession rx(SrtpSession::Direction::inbound, SrtpProfile::aesCm128HmacSha1_80, kKey);
    const auto first = sent(tx, 0, 1);
    ASSERT_EQ(received(rx, first), SrtpResult::ok);
    EXPECT_EQ(received(rx, first), SrtpResult::replay);
}
