#include <gtest/gtest.h>

#include "TestData.hpp"
#include "rtp/RtpPacket.hpp"

using namespace loa;

TEST(RtpPacket, ParsesCapturedOpusPackets) {
    const auto first = test::readBytes(test::dataFile("opus-rtp-0.bin"));
    auto p = RtpPacket::parse(first);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->payloadType(), 96);
    EXPECT_TRUE(p->marker());
    EXPECT_EQ(p->sequence(), 0xfffe);
    EXPECT_EQ(p->timestamp(), 0xfffffed8u);
    EXPECT_EQ(p->ssrc(), 0x12345678u);
    EXPECT_FALSE(p->hasExtension());
    EXPECT_EQ(p->headerSize(), 12u);
    EXPECT_EQ(p->payload().size(), first.size() - 12);

    const auto later = test::readBytes(test::dataFile("opus-rtp-3.bin"));
    auto q = RtpPacket::parse(later);
    ASSERT_TRUE(q);
    EXPECT_FALSE(q->marker());
    EXPECT_EQ(q->sequence(), 1);       // wrapped from 0xfffe
    EXPECT_EQ(q->payload()[0], 0xf8);  // Opus TOC: CELT FB 20 ms, mono
}

TEST(RtpPacket, RejectsEveryTruncatedHeader) {
    // V=2, P=1, X=1, CC=2; two CSRCs; a 1-word extension; 3 payload bytes; 2 bytes of padding.
    std::vector<uint8_t> full = {0xb2, 0x60, 0x00, 0x01, 0,    0,    0,    1,    0, 0, 0, 2,  // fixed header
                                 0,    0,    0,    3,    0,    0,    0,    4,                 // CSRCs
                                 0xbe, 0xde, 0x00, 0x01, 0x10, 0x07, 0x00, 0x00,              // extension: id 1 = 0x07
                                 0xaa, 0xbb, 0xcc, 0x00, 0x02};                               // payload, padding
    auto ok = RtpPacket::parse(full);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->csrcCount(), 2);
    EXPECT_EQ(ok->headerSize(), 28u);
    EXPECT_EQ(ok->paddingSize(), 2u);
    EXPECT_EQ(ok->payload().size(), 3u);
    ASSERT_TRUE(ok->oneByteExtension(1));
    EXPECT_EQ((*ok->oneByteExtension(1))[0], 0x07);

    for (size_t n = 0; n < 28; ++n) {
        EXPECT_FALSE(RtpPacket::parse(std::span(full).first(n))) << "accepted a header cut at " << n << " bytes";
    }
    // Cut inside the payload: the last byte now claims more padding than the payload holds.
    for (size_t n = 28; n < full.size(); ++n) {
        auto p = RtpPacket::parse(std::span(full).first(n));
        if (p) {
            EXPECT_LE(p->headerSize() + p->payload().size() + p->paddingSize(), n);
        }
    }
}

TEST(RtpPacket, RejectsMalformedFields) {
    std::vector<uint8_t> base(20, 0);
    base[0] = 0x80;
    auto withFirstByte = [&](uint8_t b) {
        auto v = base;
        v[0] = b;
        return v;
    };
    EXPECT_FALSE(RtpPacket::parse(withFirstByte(0x40)));  // version 1
    EXPECT_FALSE(RtpPacket::parse(withFirstByte(0x00)));  // version 0
    EXPECT_FALSE(RtpPacket::parse(withFirstByte(0x83)));  // 3 CSRCs need 24 bytes
    auto ext = withFirstByte(0x90);                       // extension claims 2 words, 4 bytes left
    ext[14] = 0;
    ext[15] = 2;
    EXPECT_FALSE(RtpPacket::parse(ext));
    auto zeroPad = withFirstByte(0xa0);  // padding count 0 is invalid
    zeroPad.back() = 0;
    EXPECT_FALSE(RtpPacket::parse(zeroPad));
    auto bigPad = withFirstByte(0xa0);  // padding larger than the payload
    bigPad.back() = 9;
    EXPECT_FALSE(RtpPacket::parse(bigPad));
}

TEST(RtpPacket, WriteThenParseGivesTheFieldsBack) {
    RtpHeader h;
    h.payloadType = 111;
    h.marker = true;
    h.sequence = 0xabcd;
    h.timestamp = 0x01020304;
    h.ssrc = 0xdeadbeef;
    h.extensionId = 3;
    h.info.priority = 1;
    h.info.rolloverCounter = 0x00c0ffee;
    std::vector<uint8_t> buf(rtpHeaderSize(h) + 4, 0x55);
    ASSERT_EQ(writeRtpHeader(h, buf), 24u);
    EXPECT_EQ(writeRtpHeader(h, std::span(buf).first(23)), 0u);  // too small: refused

    auto p = RtpPacket::parse(buf);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->payloadType(), 111);
    EXPECT_TRUE(p->marker());
    EXPECT_EQ(p->sequence(), 0xabcd);
    EXPECT_EQ(p->timestamp(), 0x01020304u);
    EXPECT_EQ(p->ssrc(), 0xdeadbeefu);
    EXPECT_EQ(p->extensionProfile(), RtpPacket::kOneByteExtensionProfile);
    EXPECT_EQ(p->payload().size(), 4u);
    auto data = p->oneByteExtension(3);
    ASSERT_TRUE(data);
    auto info = StreamInfo::parse(*data);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->priority, 1);
    EXPECT_EQ(info->rolloverCounter, 0x00c0ffeeu);
    EXPECT_FALSE(p->oneByteExtension(4));
}

TEST(RtpPacket, TellsRtcpFromRtp) {
    const uint8_t rr[] = {0x81, 201, 0, 7};
    const uint8_t rtp[] = {0x80, 96, 0, 1};
    EXPECT_TRUE(looksLikeRtcp(rr));
    EXPECT_FALSE(looksLikeRtcp(rtp));
}

TEST(StreamInfo, AnAlertTravelsInTheElementAndAReceiverOfTheOlderVersionStillReadsTheRest) {
    RtpHeader h;
    h.payloadType = 96;
    h.sequence = 7;
    h.ssrc = 0x01020304;
    h.extensionId = 1;
    h.info.priority = 1;
    h.info.rolloverCounter = 64;
    AlertInfo alert;
    alert.status = AlertStatus::test;
    alert.id = *AlertInfo::idFrom("em-0a1b2c3d4e5f");
    alert.origin = 0xcafe0042;
    h.info.alert = alert;
    uint8_t buffer[64] = {};
    const size_t n = writeRtpHeader(h, buffer);
    EXPECT_EQ(n, 36u);
    buffer[n] = 0x42;
    const auto p = RtpPacket::parse({buffer, n + 1});
    ASSERT_TRUE(p);
    EXPECT_EQ(p->payload().size(), 1u);
    const auto element = p->oneByteExtension(1);
    ASSERT_TRUE(element);
    EXPECT_EQ(element->size(), StreamInfo::kAlertSize);
    const auto info = StreamInfo::parse(*element);
    ASSERT_TRUE(info && info->alert);
    EXPECT_EQ(info->priority, 1);
    EXPECT_EQ(info->rolloverCounter, 64u);
    EXPECT_EQ(*info->alert, alert);
    EXPECT_EQ(info->alert->idString(), "em-0a1b2c3d4e5f");
    // What a v1 receiver reads: the first five bytes, as before.
    const auto v1 = StreamInfo::parse(element->first(StreamInfo::kSize));
    EXPECT_EQ(v1->rolloverCounter, 64u);
    EXPECT_FALSE(v1->alert);
    // A later version of the alert still says what it is; no status is no alert.
    std::vector<uint8_t> later(element->begin(), element->end());
    later[5] = 0x23;
    ASSERT_TRUE(StreamInfo::parse(later)->alert);
    EXPECT_EQ(StreamInfo::parse(later)->alert->status, AlertStatus::test);
    later[5] = 0x10;
    EXPECT_FALSE(StreamInfo::parse(later)->alert);
    EXPECT_FALSE(AlertInfo::idFrom("em-0A1B2C3D4E5F")) << "lower-case hex only";
    EXPECT_FALSE(AlertInfo::idFrom("em-0a1b"));
}
